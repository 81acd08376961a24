package ai.vq4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.model.PixelCnnSampler.Method;
import ai.vq4j.nn.Parameter;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Sampling: the fast method (row- and position-cached crops) gives the plain method's logits bit for bit at
 * every position, and so the same codes, for the same seed; conditioned or not, at temperatures other than 1,
 * with receptive fields smaller and larger than the grid.
 */
class PixelCnnSamplerTest {
  static PixelCnnConfig config(int k, int grid, int hidden, int layers, int kernel, int firstKernel, int classes) {
    PixelCnnConfig c = new PixelCnnConfig();
    c.numCodes = k;
    c.gridSize = grid;
    c.hidden = hidden;
    c.layers = layers;
    c.kernelSize = kernel;
    c.firstKernelSize = firstKernel;
    c.outputHidden = 24;
    c.numClasses = classes;
    c.seed = 3;
    return c.validate();
  }

  /** Larger weights than the init's, so that the logits are far from uniform and the draws depend on them. */
  static void scaleWeights(PixelCnnPrior prior, float factor, long seed) {
    Rng rng = new Rng(seed);
    for (Parameter p : prior.parameters()) {
      float[] v = p.value().toFloatArray();
      for (int i = 0; i < v.length; i++) {
        v[i] = v[i] * factor + (float) (0.05 * rng.nextGaussian());
      }
      p.value().copyFrom(v);
    }
  }

  @ParameterizedTest(name = "K {0}, grid {1}, p {2}, {3} layers, k {4}/{5}, {6} classes, T {7}")
  @CsvSource({
      "16, 6, 8, 3, 3, 5, 0, 0.7",    // receptive field 4 < grid 6: crops start below row/column 0
      "16, 6, 8, 3, 3, 5, 3, 1.3",    // conditioned
      "11, 7, 6, 2, 3, 3, 0, 1.0",    // receptive field 2: every crop is cut on the left and above
      "9, 5, 8, 4, 5, 7, 4, 2.0",     // wide kernels, receptive field 9 > grid
      "13, 4, 5, 3, 1, 3, 2, 0.5"})   // 1x1 later layers: the stacks see only what the first layer saw
  void fastSamplingEqualsPlain(int k, int grid, int hidden, int layers, int kernel, int firstKernel, int classes,
      double temperature) {
    try (PixelCnnPrior prior = new PixelCnnPrior(config(k, grid, hidden, layers, kernel, firstKernel, classes),
        Device.CPU)) {
      scaleWeights(prior, 2f, 7);
      PixelCnnSampler sampler = new PixelCnnSampler(prior);
      int n = 3;
      int[] labels = classes == 0 ? null : new int[] {0, classes - 1, 1 % classes};
      List<float[]> plainLogits = new ArrayList<>();
      List<float[]> fastLogits = new ArrayList<>();
      int[] plain = sampler.sampleCodes(n, labels, temperature, 42, Method.PLAIN, (r, c, l) -> plainLogits.add(l));
      int[] fast = sampler.sampleCodes(n, labels, temperature, 42, Method.FAST, (r, c, l) -> fastLogits.add(l));
      assertEquals(grid * grid, plainLogits.size());
      assertEquals(grid * grid, fastLogits.size());
      for (int q = 0; q < plainLogits.size(); q++) {
        float[] a = plainLogits.get(q);
        float[] b = fastLogits.get(q);
        for (int i = 0; i < a.length; i++) {
          if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
            throw new AssertionError(String.format("position (%d, %d), example %d, code %d: plain logit %s, fast %s",
                q / grid, q % grid, i / k, i % k, a[i], b[i]));
          }
        }
      }
      assertArrayEquals(plain, fast, "codes");
      // The draws really depend on the logits: not every grid is the same, and codes are spread.
      assertTrue(Arrays.stream(plain).distinct().count() > 2, "codes " + Arrays.toString(plain));
    }
  }

  @Test
  void theDefaultArchitectureSamplesTheSameBothWays() {
    PixelCnnConfig c = PixelCnnConfig.forCodes(64, 8, 10);
    c.hidden = 16;
    c.outputHidden = 32;
    try (PixelCnnPrior prior = new PixelCnnPrior(c, Device.CPU)) {
      PixelCnnSampler sampler = new PixelCnnSampler(prior);
      int[] labels = {3, 9};
      int[] plain = sampler.sampleCodes(2, labels, 0.9, 5, Method.PLAIN, null);
      int[] fast = sampler.sampleCodes(2, labels, 0.9, 5, Method.FAST, null);
      assertArrayEquals(plain, fast);
    }
  }

  @Test
  void theSeedDecides() {
    try (PixelCnnPrior prior = new PixelCnnPrior(config(16, 5, 8, 2, 3, 5, 0), Device.CPU)) {
      scaleWeights(prior, 1.5f, 1);
      PixelCnnSampler sampler = new PixelCnnSampler(prior);
      int[] a = sampler.sampleCodes(4, null, 1.0, 1, Method.FAST, null);
      int[] b = sampler.sampleCodes(4, null, 1.0, 1, Method.FAST, null);
      int[] c = sampler.sampleCodes(4, null, 1.0, 2, Method.FAST, null);
      assertArrayEquals(a, b, "same seed");
      assertFalse(Arrays.equals(a, c), "another seed");
      try (Tensor t = sampler.sample(4, null, 1.0, 1, Method.FAST)) {
        assertArrayEquals(new int[] {4, 5, 5}, t.shape());
        assertArrayEquals(a, t.toIntArray());
      }
    }
  }

  @Test
  void lowTemperatureConcentratesOnTheMode() {
    try (PixelCnnPrior prior = new PixelCnnPrior(config(16, 4, 8, 2, 3, 3, 0), Device.CPU)) {
      scaleWeights(prior, 2f, 9);
      PixelCnnSampler sampler = new PixelCnnSampler(prior);
      // At T -> 0 every grid is the greedy one, so all grids agree; at T = 1 they do not.
      int n = 6;
      int[] cold = sampler.sampleCodes(n, null, 1e-4, 3, Method.FAST, null);
      int[] warm = sampler.sampleCodes(n, null, 1.0, 3, Method.FAST, null);
      int per = 16;
      for (int i = 1; i < n; i++) {
        assertArrayEquals(Arrays.copyOfRange(cold, 0, per), Arrays.copyOfRange(cold, i * per, (i + 1) * per),
            "grid " + i + " at T = 1e-4");
      }
      boolean differ = false;
      for (int i = 1; i < n; i++) {
        differ |= !Arrays.equals(Arrays.copyOfRange(warm, 0, per), Arrays.copyOfRange(warm, i * per, (i + 1) * per));
      }
      assertTrue(differ, "grids at T = 1 all equal");
    }
  }

  @Test
  void labelsAndTemperatureAreChecked() {
    try (PixelCnnPrior cond = new PixelCnnPrior(config(8, 3, 4, 1, 3, 3, 2), Device.CPU);
         PixelCnnPrior plain = new PixelCnnPrior(config(8, 3, 4, 1, 3, 3, 0), Device.CPU)) {
      PixelCnnSampler s = new PixelCnnSampler(cond);
      assertThrows(IllegalArgumentException.class, () -> s.sampleCodes(2, null, 1, 1, Method.FAST, null));
      assertThrows(IllegalArgumentException.class, () -> s.sampleCodes(2, new int[] {0}, 1, 1, Method.FAST, null));
      assertThrows(IllegalArgumentException.class, () -> s.sampleCodes(1, new int[] {2}, 1, 1, Method.FAST, null));
      assertThrows(IllegalArgumentException.class, () -> s.sampleCodes(1, new int[] {1}, 0, 1, Method.FAST, null));
      PixelCnnSampler u = new PixelCnnSampler(plain);
      assertThrows(IllegalArgumentException.class, () -> u.sampleCodes(1, new int[] {0}, 1, 1, Method.PLAIN, null));
    }
  }

  @Test
  void sampledImagesComeFromTheVqVaeDecoder() {
    VqVaeConfig vc = VqVaeConfig.sonnet(1);
    vc.imageSize = 16;
    vc.hidden = 8;
    vc.residualHidden = 4;
    vc.embeddingDim = 4;
    vc.numEmbeddings = 10;
    try (VqVae vae = new VqVae(vc, Device.CPU);
         PixelCnnPrior prior = new PixelCnnPrior(config(10, 4, 4, 2, 3, 3, 0), Device.CPU)) {
      PixelCnnSampler s = new PixelCnnSampler(prior);
      Tensor images = prior.sampleImages(vae, 3, null, Sampling.PLAIN, 8);
      assertArrayEquals(new int[] {3, 16, 16, 1}, images.shape());
      float[] sampled = images.toFloatArray();
      try (Tensor codes = s.sample(3, null, 1.0, 8, Method.PLAIN)) {
        assertArrayEquals(vae.decodeCodes(codes).toFloatArray(), sampled);
      }
      try (PixelCnnPrior wrong = new PixelCnnPrior(config(11, 4, 4, 1, 3, 3, 0), Device.CPU)) {
        assertThrows(IllegalArgumentException.class, () -> wrong.sampleImages(vae, 1, null, Sampling.PLAIN, 1));
      }
    }
  }
}
