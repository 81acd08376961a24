package ai.vq4j.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** --nproc-per-node: N local ranks with torchrun's variables; one failing rank stops the others. */
class LocalLauncherTest {
  private static List<String> worker(String scenario) {
    return LocalLauncher.javaCommand(CommWorker.class.getName(), List.of(scenario, "60000"));
  }

  @Test
  void twoRanksFindEachOtherAndSucceed() throws Exception {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertEquals(0, LocalLauncher.run(2, worker("ops"), new PrintStream(err, true, StandardCharsets.UTF_8)));
  }

  @Test
  void aFailingRankStopsTheOthersAndGivesItsExitCode() throws Exception {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    long t0 = System.nanoTime();
    int code = LocalLauncher.run(2, worker("rank1-fails"), new PrintStream(err, true, StandardCharsets.UTF_8));
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertEquals(3, code);
    String said = err.toString(StandardCharsets.UTF_8);
    assertTrue(said.contains("rank 1 of 2 exited with code 3; stopping the other ranks"), said);
    assertTrue(seconds < 30, "rank 0 sleeps forever, yet the launcher took " + seconds + " s");
  }

  @Test
  void aRankCountBelowOneIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LocalLauncher.run(0, List.of("true"), System.err));
    assertTrue(e.getMessage().contains("--nproc-per-node must be >= 1, got 0"), e.getMessage());
  }
}
