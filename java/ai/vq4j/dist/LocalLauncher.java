package ai.vq4j.dist;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code --nproc-per-node N}: runs N ranks of a command on this machine, as {@code torchrun --standalone}
 * does. Each rank is a child process with torchrun's variables (RANK = LOCAL_RANK = r, WORLD_SIZE =
 * LOCAL_WORLD_SIZE = N, MASTER_ADDR = 127.0.0.1, MASTER_PORT = a free port) and this process's output
 * streams. When a rank fails, the others are stopped (the survivors' collectives would fail within their
 * timeout anyway, but a rank outside a collective would run on alone) and its exit code is returned; so is
 * the launcher's end (Ctrl-C) passed on to the ranks.
 */
public final class LocalLauncher {
  /** How long stopped ranks get to exit before they are killed. */
  static final long GRACE_MS = 5_000;

  private LocalLauncher() {}

  /** The command that runs mainClass with args in a JVM like this one (same java, class path and JVM options). */
  public static List<String> javaCommand(String mainClass, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    return cmd;
  }

  /** Runs n ranks of command; 0 when every rank succeeded, else the first failed rank's exit code. */
  public static int run(int n, List<String> command, PrintStream err) throws IOException, InterruptedException {
    if (n < 1) {
      throw new IllegalArgumentException("--nproc-per-node must be >= 1, got " + n);
    }
    int port;
    try (ServerSocket probe = new ServerSocket(0)) {
      port = probe.getLocalPort();
    }
    List<Process> ranks = new ArrayList<>();
    Thread stopOnExit = new Thread(() -> stop(ranks));
    Runtime.getRuntime().addShutdownHook(stopOnExit);
    try {
      for (int r = 0; r < n; r++) {
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("OMPI_COMM_WORLD_") || k.startsWith("PMI_")
            || k.startsWith("SLURM_PROCID") || k.startsWith("SLURM_NTASKS") || k.startsWith("SLURM_LOCALID"));
        env.putAll(Map.of("RANK", "" + r, "LOCAL_RANK", "" + r, "WORLD_SIZE", "" + n, "LOCAL_WORLD_SIZE", "" + n,
            "MASTER_ADDR", "127.0.0.1", "MASTER_PORT", "" + port));
        ranks.add(pb.start());
      }
      List<Integer> running = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        running.add(r);
      }
      while (!running.isEmpty()) {
        for (int i = 0; i < running.size(); i++) {
          int r = running.get(i);
          Process p = ranks.get(r);
          if (p.waitFor(50, TimeUnit.MILLISECONDS)) {
            running.remove(i--);
            if (p.exitValue() != 0) {
              err.printf("vq4j: rank %d of %d exited with code %d; stopping the other ranks%n", r, n, p.exitValue());
              stop(ranks);
              return p.exitValue();
            }
          }
        }
      }
      return 0;
    } finally {
      stop(ranks);
      try {
        Runtime.getRuntime().removeShutdownHook(stopOnExit);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running or has run: nothing left to remove
      }
    }
  }

  private static void stop(List<Process> ranks) {
    List<Process> alive = ranks.stream().filter(Process::isAlive).toList();
    alive.forEach(Process::destroy);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GRACE_MS);
    for (Process p : alive) {
      try {
        p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      p.destroyForcibly();
    }
  }
}
