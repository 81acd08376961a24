package ai.vq4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The quantizers: straight-through and the two loss gradients against finite differences of the terms
 * they differentiate (codes held fixed, which they are for steps smaller than the nearest-code margin),
 * usage tracking, dead-code restart, codebook init from data.
 */
class QuantizerTest {
  static final Device CPU = Device.CPU;

  @Test
  void straightThroughAndCommitmentGradient() {
    Rng rng = new Rng(3);
    try (GradientCodebookQuantizer q = new GradientCodebookQuantizer("q", CPU, rng, 7, 3, 0.25f, 0.1f, Quantizer.Gradient.STRAIGHT_THROUGH, false);
         Tensor zE = Tensor.of(CPU, LayerGradientTest.randn(rng, 2 * 3 * 3 * 3), 2, 3, 3, 3)) {
      q.codebook().value().copyFrom(LayerGradientTest.randn(rng, 21));
      float[] g = LayerGradientTest.randn(rng, 54);
      q.forward(zE, false);
      int[] codes = q.codes().toIntArray();
      float[] zQ = q.forward(zE, false).toFloatArray();
      try (Tensor dzQ = Tensor.of(CPU, g, zE.shape())) {
        float[] dzE = q.backward(dzQ).toFloatArray();
        // Surrogate of the straight-through estimator: sum(z_e * g) + beta * mean||z_e - sg[z_q]||^2.
        LayerGradientTest.compare("dz_e", zE, dzE, () -> {
          float[] z = zE.toFloatArray();
          double s = LayerGradientTest.dot(z, g);
          double c = 0;
          for (int i = 0; i < z.length; i++) {
            c += (z[i] - zQ[i]) * (z[i] - zQ[i]);
          }
          return s + 0.25 * c / z.length;
        });
        float[] dBook = q.codebook().grad().toFloatArray();
        float[] z = zE.toFloatArray();
        // Codebook term: mean||sg[z_e] - e_code||^2 over every element.
        LayerGradientTest.compare("dcodebook", q.codebook().value(), dBook, () -> {
          float[] e = q.codebook().value().toFloatArray();
          double c = 0;
          for (int r = 0; r < codes.length; r++) {
            for (int j = 0; j < 3; j++) {
              double diff = z[r * 3 + j] - e[codes[r] * 3 + j];
              c += diff * diff;
            }
          }
          return c / z.length;
        });
      }
      assertEquals(1.25f, q.lossWeight());
    }
  }

  @Test
  void emaVariantTrainsNoCodebookByGradient() {
    Rng rng = new Rng(4);
    try (EmaCodebookQuantizer q = new EmaCodebookQuantizer("q", CPU, rng, 5, 2, 0.25f, 0.99f, 1e-5f, 0.1f, Quantizer.Gradient.STRAIGHT_THROUGH);
         Tensor zE = Tensor.of(CPU, LayerGradientTest.randn(rng, 16), 2, 2, 2, 2);
         Tensor dzQ = Tensor.zeros(CPU, DType.FLOAT32, 2, 2, 2, 2)) {
      assertTrue(!q.codebook().trainable());
      float[] before = q.codebook().value().toFloatArray();
      q.forward(zE, false);
      assertArrayEquals(before, q.codebook().value().toFloatArray(), "no update outside training");
      q.prepareStep(false, 1);
      q.finishStep();
      assertArrayEquals(before, q.codebook().value().toFloatArray(), "no update after a forward outside training");
      q.forward(zE, true);
      q.prepareStep(false, 1);
      q.finishStep();
      assertTrue(!java.util.Arrays.equals(before, q.codebook().value().toFloatArray()), "EMA update in training");
      q.backward(dzQ);
      assertEquals(0.25f, q.lossWeight());
    }
  }

  @Test
  void deadCodesAreCountedAndRestartedFromTheBatch() {
    Rng rng = new Rng(5);
    for (boolean ema : new boolean[] {false, true}) {
      try (Quantizer q = ema ? new EmaCodebookQuantizer("q", CPU, rng, 4, 2, 0.25f, 0.99f, 1e-5f, 0.5f, Quantizer.Gradient.STRAIGHT_THROUGH)
               : new GradientCodebookQuantizer("q", CPU, rng, 4, 2, 0.25f, 0.5f, Quantizer.Gradient.STRAIGHT_THROUGH, false);
           Tensor zE = Tensor.of(CPU, new float[] {0, 0, 0.1f, 0, 0, 0.1f, 0.05f, 0.05f}, 1, 2, 2, 2)) {
        // Codes 1..3 sit far away: every vector goes to code 0.
        q.codebook().value().copyFrom(new float[] {0, 0, 50, 50, -50, 50, 50, -50});
        q.resetCodeStatistics();
        int steps = 0;
        do {
          q.forward(zE, false);
          q.prepareStep(false, rng.nextLong());
          q.finishStep();
          steps++;
        } while (q.deadCodes() == 0 && steps < 200);
        // Usage starts at 1 and decays by 0.99 a step: under 0.5 after 69 unused steps.
        assertEquals(69, steps, "steps until the unused codes count as dead");
        assertEquals(3, q.deadCodes());
        assertArrayEquals(new int[4], q.restartedMask().toIntArray(), "no restart when restarts are off");
        q.forward(zE, false);
        q.prepareStep(true, rng.nextLong());
        q.finishStep();
        assertArrayEquals(new int[] {0, 1, 1, 1}, q.restartedMask().toIntArray());
        int[] restarted = {1, 2, 3};
        assertEquals(3, q.deadCodes(), "dead codes are counted before their restart");
        float[] usage = q.usage();
        for (int j : restarted) {
          assertEquals(1f, usage[j], "usage of restarted code " + j);
        }
        float[] book = q.codebook().value().toFloatArray();
        float[] z = zE.toFloatArray();
        for (int j : restarted) {
          boolean fromBatch = false;
          for (int r = 0; r < 4; r++) {
            fromBatch |= book[j * 2] == z[r * 2] && book[j * 2 + 1] == z[r * 2 + 1];
          }
          assertTrue(fromBatch, "restarted code " + j + " is an encoder output of the batch");
        }
        if (ema) {
          float[] count = q.stateTensors().get(0).toFloatArray();
          float[] sum = q.stateTensors().get(1).toFloatArray();
          for (int j : restarted) {
            assertEquals(1f, count[j], "EMA count reset");
            assertEquals(book[j * 2], sum[j * 2], "EMA sum reset to the new vector");
          }
        }
      }
    }
  }

  @Test
  void initFromDataTakesDistinctBatchVectors() {
    Rng rng = new Rng(6);
    try (GradientCodebookQuantizer q = new GradientCodebookQuantizer("q", CPU, rng, 4, 1, 0.25f, 0.1f, Quantizer.Gradient.STRAIGHT_THROUGH, false);
         Tensor zE = Tensor.of(CPU, new float[] {1, 2, 3, 4, 5, 6}, 1, 2, 3, 1);
         Tensor small = Tensor.of(CPU, new float[] {1, 2}, 1, 1, 2, 1)) {
      q.initFromData(zE, rng, 0);
      float[] book = q.codebook().value().toFloatArray();
      assertEquals(4, java.util.Arrays.stream(new double[] {book[0], book[1], book[2], book[3]}).distinct().count());
      for (float v : book) {
        assertTrue(v >= 1 && v <= 6 && v == Math.rint(v), "codebook value " + v + " comes from the batch");
      }
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> q.initFromData(small, rng, 0));
      assertTrue(e.getMessage().contains("at least K = 4"), e.getMessage());
    }
  }

  @Test
  void wrongDimensionIsRejected() {
    try (GradientCodebookQuantizer q = new GradientCodebookQuantizer("q", CPU, new Rng(1), 4, 3, 0.25f, 0.1f, Quantizer.Gradient.STRAIGHT_THROUGH, false);
         Tensor zE = Tensor.zeros(CPU, DType.FLOAT32, 1, 2, 2, 2)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> q.forward(zE, true));
      assertTrue(e.getMessage().contains("D = 3"), e.getMessage());
    }
  }

  /**
   * The rotation trick (Fifty et al. 2024): dz_e is the gradient of sum((lambda R z_e) . g) + beta * commitment
   * with lambda = |z_q|/|z_e| and R = I - 2 r r^T + 2 q e^T built here as matrices from the paper's
   * equations at the forward's z_e and held fixed, checked by finite differences.
   */
  @Test
  void rotationTrickIsTheGradientOfTheFixedScaledRotation() {
    Rng rng = new Rng(9);
    int d = 3;
    try (GradientCodebookQuantizer q = new GradientCodebookQuantizer("q", CPU, rng, 7, d, 0.25f, 0.1f,
        Quantizer.Gradient.ROTATION, false);
         Tensor zE = Tensor.of(CPU, LayerGradientTest.randn(rng, 2 * 2 * 2 * d), 2, 2, 2, d)) {
      q.codebook().value().copyFrom(LayerGradientTest.randn(rng, 7 * d));
      float[] g = LayerGradientTest.randn(rng, 8 * d);
      float[] z0 = zE.toFloatArray();
      float[] zQ = q.forward(zE, false).toFloatArray();
      double[][][] m = new double[8][][];
      for (int row = 0; row < 8; row++) {
        m[row] = scaledRotation(java.util.Arrays.copyOfRange(z0, row * d, row * d + d),
            java.util.Arrays.copyOfRange(zQ, row * d, row * d + d));
      }
      try (Tensor dzQ = Tensor.of(CPU, g, zE.shape())) {
        float[] dzE = q.backward(dzQ).toFloatArray();
        LayerGradientTest.compare("dz_e", zE, dzE, () -> {
          float[] z = zE.toFloatArray();
          double s = 0;
          double c = 0;
          for (int row = 0; row < 8; row++) {
            for (int i = 0; i < d; i++) {
              double mz = 0;
              for (int j = 0; j < d; j++) {
                mz += m[row][i][j] * z[row * d + j];
              }
              s += mz * g[row * d + i];
              double diff = z[row * d + i] - zQ[row * d + i];
              c += diff * diff;
            }
          }
          return s + 0.25 * c / z.length;
        });
      }
      assertEquals(Quantizer.Gradient.ROTATION, q.gradient());
    }
  }

  /** lambda R as a matrix: R = I - 2 r r^T + 2 q e^T, e and q the unit directions, r that of e + q. */
  private static double[][] scaledRotation(float[] zE, float[] zQ) {
    int d = zE.length;
    double ne = Math.sqrt(LayerGradientTest.dot(zE, zE));
    double nq = Math.sqrt(LayerGradientTest.dot(zQ, zQ));
    double[] e = new double[d];
    double[] q = new double[d];
    double[] r = new double[d];
    for (int i = 0; i < d; i++) {
      e[i] = zE[i] / ne;
      q[i] = zQ[i] / nq;
    }
    double nr = 0;
    for (int i = 0; i < d; i++) {
      r[i] = e[i] + q[i];
      nr += r[i] * r[i];
    }
    nr = Math.sqrt(nr);
    double[][] m = new double[d][d];
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        double rot = (i == j ? 1 : 0) - 2 * r[i] / nr * r[j] / nr + 2 * q[i] * e[j];
        m[i][j] = nq / ne * rot;
      }
    }
    return m;
  }

  /** FSQ: each code's codebook row is the vector the op quantizes to, so codes decode exactly; no loss. */
  @Test
  void fsqCodebookRowsAreTheQuantizedVectors() {
    Rng rng = new Rng(12);
    try (FiniteScalarQuantizer q = new FiniteScalarQuantizer("q", CPU, new int[] {8, 5, 3});
         Tensor zE = Tensor.of(CPU, LayerGradientTest.randn(rng, 50 * 3), 50, 3)) {
      assertEquals(120, q.numCodes());
      assertEquals(3, q.dim());
      float[] zQ = q.forward(zE, true).toFloatArray();
      int[] codes = q.codes().toIntArray();
      float[] book = q.codebook().value().toFloatArray();
      for (int r = 0; r < 50; r++) {
        for (int i = 0; i < 3; i++) {
          assertEquals(book[codes[r] * 3 + i], zQ[r * 3 + i], 0f, "row " + r);
        }
      }
      assertEquals(0f, q.lossWeight());
      q.prepareStep(true, 1);
      q.finishStep();
      assertArrayEquals(book, q.codebook().value().toFloatArray(), "a restart must not touch FSQ's fixed codes");
      assertThrows(UnsupportedOperationException.class, () -> q.initFromData(zE, rng, 3));
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FiniteScalarQuantizer.codeCount(new int[] {8, 1}));
    assertTrue(e.getMessage().contains(">= 2"), e.getMessage());
  }

  /**
   * l2-normalised codes (ViT-VQGAN): with n(v) = v/|v|, dz_e is the gradient of sum(n(z_e) . g) + beta *
   * mean||n(z_e) - sg[z_q]||^2 and dcodebook that of mean||sg[n(z_e)] - n(e_code)||^2, codes held fixed;
   * z_q is the normalised code row, chosen by cosine.
   */
  @Test
  void l2CodesGradientsMatchFiniteDifferences() {
    Rng rng = new Rng(14);
    int d = 4;
    int rows = 10;
    try (GradientCodebookQuantizer q = new GradientCodebookQuantizer("q", CPU, rng, 6, d, 0.25f, 0.1f,
        Quantizer.Gradient.STRAIGHT_THROUGH, true);
         Tensor zE = Tensor.of(CPU, LayerGradientTest.randn(rng, rows * d), rows, d)) {
      float[] book0 = LayerGradientTest.randn(rng, 6 * d);
      for (int i = 0; i < d; i++) {
        book0[i] *= 5;  // a long row: a cosine lookup must not prefer it for its length
      }
      q.codebook().value().copyFrom(book0);
      float[] g = LayerGradientTest.randn(rng, rows * d);
      float[] zQ = q.forward(zE, false).toFloatArray();
      int[] codes = q.codes().toIntArray();
      float[] z0 = zE.toFloatArray();
      for (int r = 0; r < rows; r++) {
        float[] zn = unit(z0, r, d);
        float[] want = unit(book0, codes[r], d);
        double best = -2;
        for (int j = 0; j < 6; j++) {
          best = Math.max(best, LayerGradientTest.dot(zn, unit(book0, j, d)));
        }
        assertEquals(best, LayerGradientTest.dot(zn, want), 1e-6, "row " + r + ": the nearest code by cosine");
        for (int i = 0; i < d; i++) {
          assertEquals(want[i], zQ[r * d + i], 1e-6);
        }
      }
      try (Tensor dzQ = Tensor.of(CPU, g, rows, d)) {
        float[] dzE = q.backward(dzQ).toFloatArray();
        LayerGradientTest.compare("dz_e", zE, dzE, () -> {
          float[] z = zE.toFloatArray();
          double s = 0;
          double c = 0;
          for (int r = 0; r < rows; r++) {
            float[] zn = unit(z, r, d);
            for (int i = 0; i < d; i++) {
              s += zn[i] * g[r * d + i];
              c += (zn[i] - zQ[r * d + i]) * (zn[i] - zQ[r * d + i]);
            }
          }
          return s + 0.25 * c / z.length;
        });
        float[] dBook = q.codebook().grad().toFloatArray();
        LayerGradientTest.compare("dcodebook", q.codebook().value(), dBook, () -> {
          float[] e = q.codebook().value().toFloatArray();
          double c = 0;
          for (int r = 0; r < rows; r++) {
            float[] zn = unit(z0, r, d);
            float[] en = unit(e, codes[r], d);
            for (int i = 0; i < d; i++) {
              c += (zn[i] - en[i]) * (zn[i] - en[i]);
            }
          }
          return c / (rows * d);
        });
      }
      assertTrue(q.l2Codes());
    }
  }

  private static float[] unit(float[] rows, int r, int d) {
    float[] v = java.util.Arrays.copyOfRange(rows, r * d, r * d + d);
    double n = Math.sqrt(LayerGradientTest.dot(v, v));
    for (int i = 0; i < d; i++) {
      v[i] = (float) (v[i] / n);
    }
    return v;
  }
}
