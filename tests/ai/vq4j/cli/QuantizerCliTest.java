package ai.vq4j.cli;

import static ai.vq4j.cli.CliTest.cli;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.vq4j.data.Datasets;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.checkpoint.VqVaeCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * train --quantizer / --rotation-trick / --fsq-levels / --kmeans-init / --l2-codes on real Fashion-MNIST with a small model: the choice is
 * stored in the checkpoint, FSQ codes are evaluated and decoded like any codes, bad combinations are one line.
 */
class QuantizerCliTest {
  static final String[] SMALL = {"--hidden", "16", "--residual-hidden", "8", "--batch-size", "16", "--steps", "4"};

  @TempDir
  static Path dir;

  @BeforeAll
  static void data() {
    assumeTrue(Files.exists(Datasets.FASHION_MNIST_DIR.resolve("train-images-idx3-ubyte.gz")),
        "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
  }

  private static Object[] train(String out, String... extra) {
    String[] a = new String[4 + extra.length + SMALL.length];
    a[0] = "train";
    a[1] = "--out";
    a[2] = dir.resolve(out).toString();
    a[3] = "--no-eval";
    System.arraycopy(extra, 0, a, 4, extra.length);
    System.arraycopy(SMALL, 0, a, 4 + extra.length, SMALL.length);
    return cli(a);
  }

  @Test
  void fsqTrainsAndItsCodesDecode() throws Exception {
    Object[] r = train("fsq", "--quantizer", "fsq", "--fsq-levels", "4,4,2");
    assertEquals(0, r[0], (String) r[1]);
    Path ckpt = dir.resolve("fsq").resolve("checkpoint.safetensors");
    VqVaeConfig c = VqVaeCheckpoint.read(ckpt).config();
    assertArrayEquals(new int[] {4, 4, 2}, c.fsqLevels);
    assertEquals(32, c.numEmbeddings);
    assertEquals(3, c.embeddingDim);
    Path codes = dir.resolve("fsq-codes.safetensors");
    r = cli("encode", "--checkpoint", ckpt.toString(), "--out", codes.toString(), "--limit", "8");
    assertEquals(0, r[0], (String) r[1]);
    r = cli("decode", "--checkpoint", ckpt.toString(), "--codes", codes.toString(), "--out",
        dir.resolve("fsq-decoded.png").toString());
    assertTrue(Files.size(dir.resolve("fsq-decoded.png")) > 0);
    assertEquals(0, r[0], (String) r[1]);
  }

  @Test
  void rotationTrickAndKMeansAreRecordedWithEitherCodebook() throws Exception {
    for (String kind : new String[] {"plain", "ema"}) {
      // l2-normalised codes too on the plain codebook (factorised: an 8-dim lookup).
      Object[] r = kind.equals("plain")
          ? train("rot-" + kind, "--quantizer", kind, "--rotation-trick", "--kmeans-init", "2", "--l2-codes",
              "--code-dim", "8")
          : train("rot-" + kind, "--quantizer", kind, "--rotation-trick", "--kmeans-init", "2");
      assertEquals(0, r[0], (String) r[1]);
      VqVaeConfig c = VqVaeCheckpoint.read(dir.resolve("rot-" + kind).resolve("checkpoint.safetensors")).config();
      assertEquals("rotation", c.gradient);
      assertEquals(kind.equals("ema"), c.ema);
      assertEquals(2, c.kmeansIterations);
      assertEquals(kind.equals("plain"), c.l2Codes);
    }
  }

  @Test
  void badCombinationsAreOneClearLine() {
    Object[] r = train("bad1", "--quantizer", "fsq", "--rotation-trick");
    assertEquals(1, r[0]);
    assertTrue(((String) r[1]).contains("--rotation-trick needs a codebook"), (String) r[1]);
    r = train("bad2", "--fsq-levels", "8,5");
    assertEquals(1, r[0]);
    assertTrue(((String) r[1]).contains("--fsq-levels needs --quantizer fsq"), (String) r[1]);
    r = train("bad3", "--quantizer", "fsq", "--fsq-levels", "8,1");
    assertEquals(1, r[0]);
    assertTrue(((String) r[1]).contains(">= 2"), (String) r[1]);
    r = train("bad5", "--kmeans-init", "3", "--no-data-init");
    assertEquals(1, r[0]);
    assertTrue(((String) r[1]).contains("not with --no-data-init"), (String) r[1]);
    r = train("bad6", "--quantizer", "ema", "--l2-codes");
    assertEquals(1, r[0]);
    assertTrue(((String) r[1]).contains("--l2-codes needs --quantizer plain"), (String) r[1]);
    r = train("bad4", "--quantizer", "vq2");
    assertEquals(1, r[0]);
    assertTrue(((String) r[1]).contains("--quantizer must be plain, ema or fsq"), (String) r[1]);
  }
}
