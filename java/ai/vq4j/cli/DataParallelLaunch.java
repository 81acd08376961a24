package ai.vq4j.cli;

import ai.vq4j.dist.Communicator;
import ai.vq4j.dist.LaunchEnvironment;
import ai.vq4j.dist.LocalLauncher;
import ai.vq4j.tensor.Device;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * How a command runs data-parallel (a picocli mixin of train, train-prior and encode): with
 * {@code --nproc-per-node N} it starts N ranks of itself ({@link LocalLauncher}); under torchrun's, mpirun's
 * or Slurm's variables ({@link LaunchEnvironment}) it is one rank: it joins the others and uses CUDA device
 * LOCAL_RANK for {@code --device cuda}. Without either it is the usual single process.
 */
final class DataParallelLaunch {
  @Option(names = "--nproc-per-node", paramLabel = "N",
      description = "data-parallel: start N ranks on this machine, as torchrun --standalone")
  Integer nprocPerNode;

  @Option(names = "--dist-backend", paramLabel = "nccl|gloo",
      description = "collectives of a data-parallel run: nccl (default with --device cuda) or gloo (the CPU's;"
          + " with cuda through host copies, so ranks may share a GPU, e.g. --device cuda:0)")
  String backend;

  @Option(names = "--dist-timeout", paramLabel = "SECONDS", defaultValue = "300",
      description = "how long the rendezvous and each collective wait for the other ranks before this rank"
          + " gives up with an error (default: ${DEFAULT-VALUE})")
  int timeoutSeconds;

  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  /** What a command does as one rank of a job (comm empty: as the only process); returns the exit code. */
  interface Rank {
    int run(Optional<Communicator> comm) throws IOException;
  }

  /** Runs the command as N local ranks, as one rank of a launched job, or as the single process. */
  int run(DeviceOption device, Rank rank) throws IOException, InterruptedException {
    if (timeoutSeconds < 1 || timeoutSeconds > 86_400) {
      throw new IllegalArgumentException("--dist-timeout must be between 1 and 86400 seconds, got " + timeoutSeconds);
    }
    if (backend != null && !backend.equals("nccl") && !backend.equals("gloo")) {
      throw new IllegalArgumentException("--dist-backend must be nccl or gloo, got " + backend);
    }
    if (nprocPerNode != null) {
      return launchLocal(nprocPerNode);
    }
    Optional<Communicator> comm = join(device);
    try {
      return rank.run(comm);
    } finally {
      comm.ifPresent(Communicator::close);
    }
  }

  /** Runs the command line again as n local ranks, without --nproc-per-node; returns the exit code. */
  private int launchLocal(int n) throws InterruptedException, IOException {
    if (LaunchEnvironment.fromSystem().isPresent()) {
      throw new IllegalArgumentException("--nproc-per-node starts the ranks itself: run it without a launcher's"
          + " RANK/WORLD_SIZE (or OMPI_*, PMI_*, SLURM_*) variables, or drop it under a launcher");
    }
    List<String> args = new ArrayList<>();
    List<String> original = spec.root().commandLine().getParseResult().originalArgs();
    for (int i = 0; i < original.size(); i++) {
      String a = original.get(i);
      if (a.equals("--nproc-per-node")) {
        i++;  // and its value
      } else if (!a.startsWith("--nproc-per-node=")) {
        args.add(a);
      }
    }
    return LocalLauncher.run(n, LocalLauncher.javaCommand(Main.class.getName(), args), System.err);
  }

  /** This process's rank of a launched job, joined on its device; empty for a single process. */
  private Optional<Communicator> join(DeviceOption device) {
    Optional<LaunchEnvironment> env = LaunchEnvironment.fromSystem();
    if (env.isEmpty()) {
      return Optional.empty();
    }
    LaunchEnvironment e = env.get();
    Device d = device.name.equals("cuda") ? Device.cuda(e.localRank()) : device.get();
    Communicator.Backend b = backend == null ? Communicator.Backend.defaultFor(d)
        : Communicator.Backend.valueOf(backend.toUpperCase(java.util.Locale.ROOT));
    return Optional.of(Communicator.init(e, d, b, Duration.ofSeconds(timeoutSeconds)));
  }

  /** Rank 0 reports progress; the other ranks work quietly. */
  static PrintStream progress(Optional<Communicator> comm) {
    return comm.isEmpty() || comm.get().rank() == 0 ? System.out : new PrintStream(OutputStream.nullOutputStream());
  }
}
