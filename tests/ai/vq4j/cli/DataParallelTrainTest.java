package ai.vq4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.vq4j.data.Datasets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vq4j train --nproc-per-node 2} end to end on Fashion-MNIST over Gloo: 2 ranks at batch 4 train the
 * weights and Adam moments 1 process trains at batch 8 (to 2e-4, after 4 Adam steps on differently rounded
 * sums; the usage counts are left out, as a near-tie may assign a vector to another code), rank 0
 * alone writes the folder, and the run resumes as 1 process with the same global batch.
 */
class DataParallelTrainTest {
  @TempDir
  Path dir;

  private static String[] train(Path out, String... more) {
    String[] base = {"train", "--out", out.toString(), "--hidden", "16", "--residual-hidden", "8", "--codes", "32",
        "--code-dim", "8", "--log-every", "2", "--checkpoint-every", "3", "--no-eval"};
    String[] all = new String[base.length + more.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return all;
  }

  @Test
  void twoLocalRanksTrainWhatOneProcessTrainsAtTheGlobalBatch() throws Exception {
    assumeTrue(Files.exists(Datasets.FASHION_MNIST_DIR.resolve("train-images-idx3-ubyte.gz")),
        "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
    Path one = dir.resolve("one");
    Path two = dir.resolve("two");
    Object[] single = CliTest.cli(train(one, "--batch-size", "8", "--steps", "4"));
    assertEquals(0, single[0], (String) single[1]);
    Object[] pair = CliTest.cli(train(two, "--batch-size", "4", "--steps", "4", "--nproc-per-node", "2"));
    assertEquals(0, pair[0], (String) pair[1]);
    assertEquals(4, Files.readAllLines(two.resolve("metrics.jsonl")).size(), "rank 0 alone logs each step once");
    assertClose(one, two, 2e-4);

    // Resumed as one process, the 2-rank run's global batch of 8 continues where it stood.
    Object[] resumed = CliTest.cli("train", "--out", two.toString(), "--resume", "--steps", "6", "--no-eval");
    assertEquals(0, resumed[0], (String) resumed[1]);
    assertTrue(((String) resumed[1]).contains("global batch of 8 as 1 rank(s) x 8"), (String) resumed[1]);
    Object[] onward = CliTest.cli("train", "--out", one.toString(), "--resume", "--steps", "6", "--no-eval");
    assertEquals(0, onward[0], (String) onward[1]);
    assertClose(one, two, 5e-4);
  }

  private static void assertClose(Path a, Path b, double tolerance) throws Exception {
    // Usage counts code assignments: after a few steps a near-tie may round to the other code on one side.
    CheckpointsClose.assertClose(a, b, "checkpoint.safetensors", tolerance, 21, name -> name.endsWith("usage"));
  }
}
