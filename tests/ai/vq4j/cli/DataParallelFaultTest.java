package ai.vq4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.dist.Ranks;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A launched rank's mistakes at the command line, as child JVMs given torchrun's variables: a MASTER_ADDR
 * where no rank 0 listens is one clear line within --dist-timeout, naming the rendezvous; ranks started with
 * different WORLD_SIZEs both say so. Both fail before any data is read.
 */
class DataParallelFaultTest {
  @TempDir
  Path dir;

  private Ranks ranks;

  @BeforeEach
  void ranks() {
    ranks = new Ranks(dir);
  }

  @AfterEach
  void killChildren() {
    ranks.close();
  }

  @Test
  void anUnreachableMasterIsAClearErrorWithinTheTimeout() throws Exception {
    int port = Ranks.freePort();  // nobody listens there
    long t0 = System.nanoTime();
    Process lone = train("lone", 1, 2, port, "2");
    String out = finish(lone, "lone");
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertEquals(1, lone.exitValue(), out);
    assertTrue(out.startsWith("vq4j train: ") && out.contains("rank 1 of 2: init: cannot reach the rendezvous"
        + " tcp://127.0.0.1:" + port + " (MASTER_ADDR:MASTER_PORT) within 2000 ms"), out);
    assertTrue(!out.contains("\tat "), "no stack trace: " + out);
    // a JVM's start and the native library's load, plus the 2 s timeout
    assertTrue(seconds < 40, "took " + seconds + " s with --dist-timeout 2");
  }

  @Test
  void ranksOfDifferentWorldSizesBothSaySo() throws Exception {
    int port = Ranks.freePort();
    Process r0 = train("r0", 0, 2, port, "30");
    Process r1 = train("r1", 1, 3, port, "30");
    String out0 = finish(r0, "r0");
    String out1 = finish(r1, "r1");
    assertEquals(1, r0.exitValue(), out0);
    assertEquals(1, r1.exitValue(), out1);
    assertTrue(out0.contains("rank 0 of 2: init: WORLD_SIZE mismatch: this rank has 2, rank 1 has 3"), out0);
    assertTrue(out1.contains("rank 1 of 3: init: WORLD_SIZE mismatch: this rank has 3, rank 0 has 2"), out1);
  }

  private Process train(String name, int rank, int worldSize, int port, String timeout) throws IOException {
    return ranks.start(name, rank, worldSize, port, Main.class.getName(), List.of("train", "--out",
        dir.resolve(name).toString(), "--steps", "1", "--no-eval", "--dist-timeout", timeout));
  }

  private String finish(Process p, String name) throws Exception {
    return ranks.finish(p, name, 90);
  }
}
