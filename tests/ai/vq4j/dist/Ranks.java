package ai.vq4j.dist;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Ranks of a test, started as torchrun starts them: child JVMs (this one's JVM arguments and class path) with
 * RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR=127.0.0.1 and MASTER_PORT set and the other launchers' variables
 * removed, each writing stdout and stderr to dir/name.log. Closing kills those still running.
 */
public final class Ranks implements AutoCloseable {
  private final Path dir;
  private final List<Process> children = new ArrayList<>();

  public Ranks(Path dir) {
    this.dir = dir;
  }

  /** Starts mainClass with args as rank of worldSize, the rendezvous on port. */
  public Process start(String name, int rank, int worldSize, int port, String mainClass, List<String> args)
      throws IOException {
    ProcessBuilder pb = new ProcessBuilder(LocalLauncher.javaCommand(mainClass, args)).redirectErrorStream(true)
        .redirectOutput(log(name).toFile());
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("OMPI_") || k.startsWith("PMI_") || k.startsWith("SLURM_"));
    env.putAll(Map.of("RANK", Integer.toString(rank), "WORLD_SIZE", Integer.toString(worldSize),
        "LOCAL_RANK", Integer.toString(rank), "MASTER_ADDR", "127.0.0.1", "MASTER_PORT", Integer.toString(port)));
    Process p = pb.start();
    children.add(p);
    return p;
  }

  /** Waits (failing the test after seconds) for p to end; returns its output. */
  public String finish(Process p, String name, int seconds) throws Exception {
    boolean done = p.waitFor(seconds, TimeUnit.SECONDS);
    String out = Files.readString(log(name));
    assertTrue(done, name + " still running after " + seconds + " s:\n" + out);
    return out;
  }

  /** Waits (failing the test after seconds, or when p ends first) for p to print line. */
  public void awaitLine(Process p, String name, String line, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    Path log = log(name);
    while (System.nanoTime() < deadline) {
      if (Files.exists(log) && Files.readString(log).lines().anyMatch(line::equals)) {
        return;
      }
      assertTrue(p.isAlive(), name + " ended early:\n" + Files.readString(log));
      Thread.sleep(50);
    }
    throw new AssertionError(name + " never printed " + line + ":\n" + Files.readString(log));
  }

  public Path log(String name) {
    return dir.resolve(name + ".log");
  }

  /** A loopback port nobody listens on (at the moment of asking). */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() {
    children.forEach(Process::destroyForcibly);
  }
}
