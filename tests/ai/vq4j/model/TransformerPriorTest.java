package ai.vq4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TransformerPriorTest {
  private static TransformerConfig small(int numClasses) {
    TransformerConfig c = new TransformerConfig();
    c.numCodes = 13;
    c.gridSize = 3;
    c.width = 16;
    c.depth = 2;
    c.heads = 2;
    c.numClasses = numClasses;
    c.seed = 5;
    return c.validate();
  }

  /**
   * Causality of the whole model: the loss at position t (a random projection of its logits) has a gradient of
   * exactly zero with respect to every input position after t, i.e. every code at or after code t (input
   * position j + 1 holds code j), and a non-zero gradient at some position up to t.
   */
  @Test
  void gradientAtPositionTIsExactlyZeroForEveryLaterInput() {
    TransformerConfig c = small(0);
    int n = 2;
    int t = c.length();
    int w = c.width;
    Random rng = new Random(7);
    float[] x = new float[n * t * w];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rng.nextGaussian();
    }
    try (TransformerPrior prior = new TransformerPrior(c, Device.CPU);
         Tensor xt = Tensor.of(Device.CPU, x, n, t, w)) {
      for (int pos = 0; pos < t; pos++) {
        prior.forwardEmbedded(xt);
        float[] dl = new float[n * t * c.numCodes];
        for (int i = 0; i < n; i++) {
          for (int k = 0; k < c.numCodes; k++) {
            dl[(i * t + pos) * c.numCodes + k] = (float) rng.nextGaussian();
          }
        }
        float[] dx;
        try (Tensor dLogits = Tensor.of(Device.CPU, dl, n, t, c.numCodes)) {
          dx = prior.backward(dLogits).toFloatArray();
        }
        for (int i = 0; i < n; i++) {
          boolean seen = false;
          for (int j = 0; j < t; j++) {
            for (int e = 0; e < w; e++) {
              float v = dx[(i * t + j) * w + e];
              if (j > pos && v != 0f) {
                fail("loss at position " + pos + " has gradient " + v + " at later input position " + j);
              }
              seen |= j <= pos && v != 0f;
            }
          }
          assertTrue(seen, "loss at position " + pos + " has no gradient at all (example " + i + ")");
        }
      }
    }
  }

  /**
   * Cached sampling (one position per step) gives the codes of recomputing the whole prefix at every step, on the
   * CPU and on CUDA where a GPU is present (skipped visibly otherwise).
   */
  @ParameterizedTest
  @CsvSource({"0, false", "3, false", "0, true", "3, true"})
  void cachedAndRecomputedSamplingAgree(int numClasses, boolean cuda) {
    if (cuda) {
      assumeTrue(Device.cudaDeviceCount() > 0, "no CUDA GPU on this machine: the CUDA run of this test needs one");
    }
    try (TransformerPrior prior = new TransformerPrior(small(numClasses), cuda ? Device.cuda(0) : Device.CPU)) {
      TransformerSampler s = new TransformerSampler(prior);
      int[] labels = numClasses > 0 ? new int[] {0, 2, 1, 2} : null;
      double[][] settings = {{1.0, 0, 1.0}, {0.7, 5, 1.0}, {1.3, 0, 0.8}, {1.0, 4, 0.6}};
      for (double[] st : settings) {
        Sampling sampling = new Sampling(st[0], (int) st[1], st[2]);
        int[] cached = s.sampleCodes(4, labels, sampling, 11, TransformerSampler.Method.CACHED);
        int[] full = s.sampleCodes(4, labels, sampling, 11, TransformerSampler.Method.RECOMPUTE);
        assertArrayEquals(full, cached, "temperature " + st[0] + " top-k " + st[1] + " top-p " + st[2]);
        for (int v : cached) {
          assertTrue(v >= 0 && v < 13, "code " + v);
        }
      }
      int[] a = s.sampleCodes(4, labels, Sampling.PLAIN, 1, TransformerSampler.Method.CACHED);
      int[] b = s.sampleCodes(4, labels, Sampling.PLAIN, 2, TransformerSampler.Method.CACHED);
      assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b), "seed changes the codes");
    }
  }

  /** The cached step's logits are the full forward's at each position, to float rounding. */
  @Test
  void cachedLogitsMatchTheFullForward() {
    TransformerConfig c = small(0);
    int n = 2;
    int t = c.length();
    int k = c.numCodes;
    int[] codes = new int[n * t];
    Random rng = new Random(3);
    for (int i = 0; i < codes.length; i++) {
      codes[i] = rng.nextInt(k);
    }
    try (TransformerPrior prior = new TransformerPrior(c, Device.CPU);
         Tensor ct = Tensor.ofInts(Device.CPU, codes, n, c.gridSize, c.gridSize)) {
      float[] full = prior.forward(ct, null).toFloatArray();
      try (Tensor ids = Tensor.ofInts(Device.CPU, new int[n], n, 1)) {
        for (int pos = 0; pos < t; pos++) {
          int[] tok = new int[n];
          for (int i = 0; i < n; i++) {
            tok[i] = pos == 0 ? k : codes[i * t + pos - 1];
          }
          ids.copyFrom(tok);
          float[] step = prior.step(ids, pos).toFloatArray();
          for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) {
              float want = full[(i * t + pos) * k + j];
              assertEquals(want, step[i * k + j], 1e-5 + 1e-4 * Math.abs(want), "logit " + j + " at " + pos);
            }
          }
        }
      }
    }
  }

  @Test
  void topKOneIsGreedyAndTopPKeepsTheMostLikely() {
    float[] logits = {0.1f, 2.0f, -1.0f, 1.9f};
    Sampling.Scratch scratch = new Sampling.Scratch(4);
    ai.vq4j.tensor.Rng rng = new ai.vq4j.tensor.Rng(1);
    int[] seen = new int[4];
    for (int i = 0; i < 200; i++) {
      assertEquals(1, new Sampling(1.0, 1, 1.0).draw(logits, 0, 4, rng, scratch), "top-1");
      // softmax: 1 -> 0.48, 3 -> 0.43: p = 0.5 keeps codes 1 and 3 only.
      int v = new Sampling(1.0, 0, 0.5).draw(logits, 0, 4, rng, scratch);
      assertTrue(v == 1 || v == 3, "top-p 0.5 drew " + v);
      seen[new Sampling(1.0, 2, 1.0).draw(logits, 0, 4, rng, scratch)]++;
    }
    assertEquals(0, seen[0] + seen[2], "top-2 keeps codes 1 and 3 only");
    assertTrue(seen[1] > 0 && seen[3] > 0, "top-2 draws both: " + java.util.Arrays.toString(seen));
  }

  /** Without cuts the draw is the plain inverse CDF in code order: the same codes as before top-k/top-p. */
  @Test
  void uncutDrawIsTheCategoricalInCodeOrder() {
    float[] logits = {0.3f, -0.2f, 1.1f, 0.0f, 0.7f};
    Sampling.Scratch scratch = new Sampling.Scratch(5);
    ai.vq4j.tensor.Rng a = new ai.vq4j.tensor.Rng(9);
    ai.vq4j.tensor.Rng b = new ai.vq4j.tensor.Rng(9);
    for (int i = 0; i < 100; i++) {
      double sum = 0;
      double[] w = new double[5];
      for (int j = 0; j < 5; j++) {
        w[j] = Math.exp((logits[j] - 1.1f) / 0.8);
        sum += w[j];
      }
      double u = b.nextDouble() * sum;
      int want = 4;
      double acc = 0;
      for (int j = 0; j < 5; j++) {
        acc += w[j];
        if (u < acc) {
          want = j;
          break;
        }
      }
      assertEquals(want, new Sampling(0.8, 0, 1.0).draw(logits, 0, 5, a, scratch));
    }
  }

  @Test
  void refusesBadInputs() {
    try (TransformerPrior prior = new TransformerPrior(small(2), Device.CPU);
         Tensor codes = Tensor.ofInts(Device.CPU, new int[18], 2, 3, 3)) {
      assertThrows(IllegalArgumentException.class, () -> prior.forward(codes, null), "missing labels");
      assertThrows(IllegalArgumentException.class, () -> prior.forward(codes, new int[] {0, 2}), "label range");
      TransformerSampler s = new TransformerSampler(prior);
      assertThrows(IllegalArgumentException.class, () -> new Sampling(1, 0, 0), "top-p 0");
      assertThrows(IllegalArgumentException.class, () -> new Sampling(1, -1, 1), "top-k -1");
      assertThrows(IllegalArgumentException.class, () -> new Sampling(0, 0, 1), "temperature 0");
      assertThrows(IllegalArgumentException.class,
          () -> s.sampleCodes(2, new int[] {0, 5}, Sampling.PLAIN, 1, TransformerSampler.Method.CACHED), "label");
    }
    TransformerConfig bad = small(0);
    bad.heads = 3;
    assertThrows(IllegalArgumentException.class, bad::validate, "heads must divide width");
  }

  @Test
  void gptSmallPresetSizes() {
    TransformerConfig c = TransformerConfig.gptSmall(512, 8, 0);
    assertEquals(64, c.length());
    assertEquals(32, c.width / c.heads);
    try (TransformerPrior prior = new TransformerPrior(c, Device.CPU)) {
      // tokens 513 x 256, positions 64 x 256, 8 blocks of 12 C^2 + 13 C, final norm, head 256 x 512 + 512.
      long want = 513L * 256 + 64 * 256 + 8L * (12 * 256 * 256 + 13 * 256) + 2 * 256 + 256 * 512 + 512;
      assertEquals(want, prior.parameterCount());
      assertEquals(want, c.parameterCount(), "the config's count, without building");
    }
    TransformerConfig odd = small(3);
    odd.mlpRatio = 3;
    try (TransformerPrior prior = new TransformerPrior(odd, Device.CPU)) {
      assertEquals(prior.parameterCount(), odd.parameterCount(), "config count with classes and MLP 3x");
    }
    assertEquals(256, TransformerConfig.gptSmall(512, 16, 10).length());
  }

  /**
   * Dropout: active in training only, the same mask for the same step (so a resume redraws it), another for
   * another step; and the gradients through it match central differences of the loss under that mask.
   */
  @Test
  void dropoutIsSeededByTheStepAndItsGradientsMatchFiniteDifferences() {
    TransformerConfig c = small(0);
    c.dropout = 0.3;
    TransformerConfig none = small(0);
    int n = 2;
    int[] values = new int[n * c.length()];
    Random r = new Random(4);
    for (int i = 0; i < values.length; i++) {
      values[i] = r.nextInt(c.numCodes);
    }
    try (TransformerPrior prior = new TransformerPrior(c, Device.CPU);
         TransformerPrior plain = new TransformerPrior(none, Device.CPU);
         Tensor codes = Tensor.ofInts(Device.CPU, values, n, c.gridSize, c.gridSize)) {
      float[] evalLogits = prior.forward(codes, null).toFloatArray();
      assertArrayEquals(plain.forward(codes, null).toFloatArray(), evalLogits, "no dropout outside training");
      float[] a = prior.trainingForward(codes, null, 7).toFloatArray();
      float[] b = prior.trainingForward(codes, null, 7).toFloatArray();
      float[] other = prior.trainingForward(codes, null, 8).toFloatArray();
      assertArrayEquals(a, b, "step 7's masks twice");
      assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(other), "step 8 drops others");
      assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(evalLogits), "training drops");

      prior.trainingForward(codes, null, 7);
      prior.lossAndBackward(codes);
      java.util.List<ai.vq4j.nn.Parameter> params = prior.parameters();
      float[][] grads = new float[params.size()][];
      for (int i = 0; i < grads.length; i++) {
        grads[i] = params.get(i).grad().toFloatArray();
      }
      java.util.function.DoubleSupplier loss = () -> {
        prior.trainingForward(codes, null, 7);
        return prior.lossAndBackward(codes).item();
      };
      for (int i = 0; i < grads.length; i++) {
        ai.vq4j.nn.GatedPixelCnnLayerTestAccess.check(params.get(i).name(), params.get(i).value(), grads[i], loss, 6);
      }
    }
  }

  /** AdamW's decay goes to the linear maps' weights only. */
  @Test
  void weightDecayAppliesToLinearWeightsOnly() {
    try (TransformerPrior prior = new TransformerPrior(small(2), Device.CPU)) {
      java.util.List<String> decayed = new java.util.ArrayList<>();
      for (ai.vq4j.nn.Parameter p : prior.parameters()) {
        if (prior.decays(p)) {
          decayed.add(p.name());
        }
      }
      assertTrue(prior.decoupledWeightDecay());
      assertEquals(2 * 6 + 1, decayed.size(), "6 linear maps per block and the head: " + decayed);
      for (String name : decayed) {
        assertTrue(name.endsWith(".weight") && !name.startsWith("tokens") && !name.startsWith("positions")
            && !name.contains("ln"), name);
      }
    }
  }
}
