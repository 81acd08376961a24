package ai.vq4j.cli;

import ai.vq4j.dist.Communicator;
import ai.vq4j.dist.LaunchEnvironment;
import ai.vq4j.dist.LocalLauncher;
import ai.vq4j.tensor.Device;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;

/**
 * How a training command runs data-parallel: with {@code --nproc-per-node N} it starts N ranks of itself
 * ({@link LocalLauncher}); under torchrun's, mpirun's or Slurm's variables ({@link LaunchEnvironment}) it is
 * one rank: it joins the others and uses CUDA device LOCAL_RANK for {@code --device cuda}. Without either it
 * is the usual single process.
 */
final class DataParallelLaunch {
  private DataParallelLaunch() {}

  /** Runs the command line again as n local ranks, without --nproc-per-node; returns the exit code. */
  static int launchLocal(int n, CommandSpec spec) throws InterruptedException, java.io.IOException {
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
  static Optional<Communicator> join(DeviceOption device) {
    Optional<LaunchEnvironment> env = LaunchEnvironment.fromSystem();
    if (env.isEmpty()) {
      return Optional.empty();
    }
    LaunchEnvironment e = env.get();
    Device d = device.name.equals("cuda") ? Device.cuda(e.localRank()) : device.get();
    return Optional.of(Communicator.init(e, d, Communicator.DEFAULT_TIMEOUT));
  }

  /** Rank 0 reports progress; the other ranks train quietly. */
  static PrintStream progress(Optional<Communicator> comm) {
    return comm.isEmpty() || comm.get().rank() == 0 ? System.out : new PrintStream(OutputStream.nullOutputStream());
  }
}
