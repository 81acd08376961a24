package ai.vq4j.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import ai.vq4j.tensor.Vq4jException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Gloo communicator across real processes: child JVMs ({@link CommWorker}) on loopback, launched with
 * torchrun's variables. Covers both rendezvous (file and TCP), every collective, a rank killed or stopped
 * mid-run, a wrong WORLD_SIZE and an unreachable MASTER_ADDR.
 */
class CommunicatorTest {
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
  void everyCollectiveOverTcpRendezvous() throws Exception {
    checkOps(null);
  }

  @Test
  void everyCollectiveOverFileRendezvous() throws Exception {
    checkOps("file://" + dir.resolve("rendezvous"));
  }

  private void checkOps(String rendezvous) throws Exception {
    int port = Ranks.freePort();
    Process r0 = start(0, 2, port, "ops", 60_000, rendezvous);
    Process r1 = start(1, 2, port, "ops", 60_000, rendezvous);
    for (int rank = 0; rank < 2; rank++) {
      Process p = rank == 0 ? r0 : r1;
      String out = finish(p, rank, 60);
      assertEquals(0, p.exitValue(), out);
      assertTrue(out.contains("joined " + rank + " of 2"), out);
      assertTrue(out.contains("sum [3.0, 10.0, 1.0]"), out);
      assertTrue(out.contains("mean [0.5, 2.0]"), out);
      assertTrue(out.contains("mixed [0.5, 2.0, 3.0, 10.0]"), out);  // the first 2 averaged, the rest summed
      assertTrue(out.contains("broadcast [100, 101]"), out);
      assertTrue(out.contains("gather [0, 0, 7, 1, -1, 7]"), out);
    }
  }

  @Test
  void sumsOfManyLengthsAtTwoAndThreeRanks() throws Exception {
    for (int world : new int[] {2, 3}) {  // two ranks sum in Gloo's sync mode, more with gloo::allreduce
      int port = Ranks.freePort();
      List<Process> all = new ArrayList<>();
      for (int rank = 0; rank < world; rank++) {
        all.add(start(rank, world, port, "sizes", 60_000, null));
      }
      for (int rank = 0; rank < world; rank++) {
        String out = finish(all.get(rank), rank, 120);
        assertEquals(0, all.get(rank).exitValue(), out);
        assertTrue(out.contains("length 12000000 ok, broadcast 0"), out);
        assertTrue(out.contains("length 3 ok, broadcast 0"), out);
      }
    }
  }

  @Test
  void aKilledRankMakesTheOtherFailNamingRankAndOperation() throws Exception {
    int port = Ranks.freePort();
    Process r0 = start(0, 2, port, "fault", 60_000, null);
    Process r1 = start(1, 2, port, "fault", 60_000, null);
    awaitLine(r1, 1, "ready", 60);
    long t0 = System.nanoTime();
    r1.destroyForcibly();
    String out = finish(r0, 0, 30);
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertEquals(3, r0.exitValue(), out);
    assertTrue(out.contains("ERROR Communicator.allReduceSum failed"), out);
    assertTrue(out.contains("rank 0 of 2: all_reduce:"), out);
    // A closed connection is noticed at once, far inside the 60 s collective timeout.
    assertTrue(seconds < 20, "rank 0 took " + seconds + " s to notice");
  }

  @Test
  void aStalledRankMakesTheOtherTimeOut() throws Exception {
    int port = Ranks.freePort();
    Process r0 = start(0, 2, port, "fault", 3_000, null);
    Process r1 = start(1, 2, port, "fault", 3_000, null);
    awaitLine(r1, 1, "ready", 60);
    // SIGSTOP keeps rank 1's sockets open, so only the timeout can end rank 0's wait.
    new ProcessBuilder("kill", "-STOP", Long.toString(r1.pid())).start().waitFor();
    long t0 = System.nanoTime();
    String out = finish(r0, 0, 30);
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertEquals(3, r0.exitValue(), out);
    assertTrue(out.contains("rank 0 of 2: all_reduce:"), out);
    assertTrue(out.toLowerCase().contains("timed out"), out);
    assertTrue(seconds < 15, "rank 0 took " + seconds + " s with a 3 s timeout");
  }

  @Test
  void aWrongWorldSizeIsNamedOnBothRanks() throws Exception {
    int port = Ranks.freePort();
    Process r0 = start(0, 2, port, "join", 20_000, null);
    Process r1 = start(1, 3, port, "join", 20_000, null);
    String out0 = finish(r0, 0, 60);
    String out1 = finish(r1, 1, 60);
    assertEquals(3, r0.exitValue(), out0);
    assertEquals(3, r1.exitValue(), out1);
    assertTrue(out0.contains("rank 0 of 2: init: WORLD_SIZE mismatch: this rank has 2, rank 1 has 3"), out0);
    assertTrue(out1.contains("rank 1 of 3: init: WORLD_SIZE mismatch: this rank has 3, rank 0 has 2"), out1);
  }

  @Test
  void anUnreachableMasterFailsWithinTheTimeout() throws Exception {
    int port = Ranks.freePort();  // nobody listens there: rank 0 never starts
    long t0 = System.nanoTime();
    Vq4jException e = assertThrows(Vq4jException.class, () -> Communicator.init(Device.CPU, 1, 2,
        "tcp://127.0.0.1:" + port, Duration.ofSeconds(2)));
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertTrue(e.getMessage().contains("rank 1 of 2: init: cannot reach the rendezvous tcp://127.0.0.1:" + port),
        e.getMessage());
    assertTrue(seconds < 10, "took " + seconds + " s with a 2 s timeout");
  }

  @Test
  void aSingleRankGroupWorksInProcessAndChecksItsArguments() throws Exception {
    try (Communicator comm = Communicator.init(Device.CPU, 0, 1, "file://" + dir.resolve("solo"),
            Duration.ofSeconds(10));
        Tensor t = Tensor.of(Device.CPU, new float[] {1.5f, -2f}, 2);
        Tensor ids = Tensor.ofInts(Device.CPU, new int[] {4}, 1);
        Tensor wrong = Tensor.zeros(Device.CPU, DType.FLOAT32, 3)) {
      comm.allReduceAverage(t);
      comm.broadcast(t, 0);
      assertEquals(List.of(1.5f, -2f), List.of(t.toFloatArray()[0], t.toFloatArray()[1]));
      IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class, () -> comm.allReduceSum(ids));
      assertTrue(dtype.getMessage().contains("allReduceSum: needs a float32 tensor"), dtype.getMessage());
      IllegalArgumentException root = assertThrows(IllegalArgumentException.class, () -> comm.broadcast(t, 1));
      assertTrue(root.getMessage().contains("root 1 is not a rank of 1"), root.getMessage());
      IllegalArgumentException gather = assertThrows(IllegalArgumentException.class, () -> comm.allGather(t, wrong));
      assertTrue(gather.getMessage().contains("gathered must hold 1 x 2"), gather.getMessage());
    }
    Vq4jException rank = assertThrows(Vq4jException.class,
        () -> Communicator.init(Device.CPU, 2, 2, "file://" + dir.resolve("bad"), Duration.ofSeconds(1)));
    assertTrue(rank.getMessage().contains("rank 2 of 2: init: need a context, 0 <= rank < world_size"),
        rank.getMessage());
    Vq4jException where = assertThrows(Vq4jException.class,
        () -> Communicator.init(Device.CPU, 0, 1, "http://x", Duration.ofSeconds(1)));
    assertTrue(where.getMessage().contains("rendezvous 'http://x' is neither file:///dir nor tcp://host:port"),
        where.getMessage());
  }

  private Process start(int rank, int worldSize, int port, String scenario, int timeoutMs, String rendezvous)
      throws IOException {
    List<String> args = new ArrayList<>(List.of(scenario, Integer.toString(timeoutMs)));
    if (rendezvous != null) {
      args.add(rendezvous);
    }
    return ranks.start("rank" + rank, rank, worldSize, port, CommWorker.class.getName(), args);
  }

  private String finish(Process p, int rank, int seconds) throws Exception {
    return ranks.finish(p, "rank" + rank, seconds);
  }

  private void awaitLine(Process p, int rank, String line, int seconds) throws Exception {
    ranks.awaitLine(p, "rank" + rank, line, seconds);
  }
}
