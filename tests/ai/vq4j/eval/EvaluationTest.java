package ai.vq4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.data.Dataset;
import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The headline scores cover the data set's own pixels; the padded image's follow, labelled. */
class EvaluationTest {
  private static VqVaeConfig tiny() {
    VqVaeConfig c = VqVaeConfig.sonnet(1);
    c.imageSize = 16;
    c.hidden = 8;
    c.residualHidden = 4;
    c.residualBlocks = 1;
    c.embeddingDim = 4;
    c.numEmbeddings = 8;
    return c;
  }

  /** Six 12x12 random images, padded to 16x16 with background 0. */
  private static Dataset padded() {
    Rng rng = new Rng(3);
    byte[] p = new byte[6 * 12 * 12];
    for (int i = 0; i < p.length; i++) {
      p[i] = (byte) rng.nextInt(256);
    }
    return Dataset.ofUint8("random", p, 6, 12, 12, 1, null, List.of()).padTo(16, 16).scaled();
  }

  @Test
  void scoresTheNativeAreaFirstAndThePaddedImageAfter() {
    Dataset set = padded();
    try (VqVae model = new VqVae(tiny(), Device.CPU)) {
      Evaluation e = Evaluation.run(model, set, 4);
      // The MSE by hand over the reconstruction's 12x12 centre, and over all of it.
      double inside = 0;
      double all = 0;
      try (Tensor x = Tensor.of(Device.CPU, set.toFloatArray(), 6, 16, 16, 1)) {
        float[] r = model.forward(x, false).toFloatArray();
        float[] want = set.toFloatArray();
        for (int i = 0; i < r.length; i++) {
          int y = i / 16 % 16;
          int col = i % 16;
          double err = (r[i] - want[i]) * (double) (r[i] - want[i]);
          all += err;
          if (y >= 2 && y < 14 && col >= 2 && col < 14) {
            inside += err;
          }
        }
      }
      assertEquals(144, e.dimsPerImage());
      assertEquals(inside / (6 * 144), e.mse(), 1e-9);
      assertEquals(all / (6 * 256), e.padded().mse(), 1e-9);
      assertNotEquals(e.mse(), e.padded().mse());
      assertEquals(10 * Math.log10(1 / e.mse()), e.psnr(), 1e-9);
      // The prior's ln K per latent is spread over the native dims only.
      assertEquals((e.reconNllNatsPerImage() + 16 * Math.log(8)) / (144 * Math.log(2)), e.bitsPerDimUniformPrior(),
          1e-9);
      String text = e.summary();
      assertTrue(text.indexOf("native 12x12") < text.indexOf("padded image"), text);
    }
  }

  @Test
  void anUnpaddedSetHasNoPaddedScores() {
    Rng rng = new Rng(4);
    float[] v = new float[4 * 16 * 16];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rng.nextDouble() - 0.5f;
    }
    try (VqVae model = new VqVae(tiny(), Device.CPU)) {
      Evaluation e = Evaluation.run(model, Dataset.ofFloat32("whole", v, 4, 16, 16, 1, null, List.of()), 4);
      assertNull(e.padded());
      assertEquals(256, e.dimsPerImage());
      assertTrue(e.summary().contains("over the whole image"), e.summary());
    }
  }
}
