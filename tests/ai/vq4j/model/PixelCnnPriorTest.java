package ai.vq4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.nn.Parameter;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import ai.vq4j.tensor.Vq4jException;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole prior: its logits at each position depend on exactly the inputs before that position in raster
 * order within the receptive field (no leak of the position itself or of anything after it, and no blind
 * spot), its gradients match finite differences, and its NLL and parameters are what they say.
 */
class PixelCnnPriorTest {
  static final Device CPU = Device.CPU;

  static PixelCnnConfig small(int classes) {
    PixelCnnConfig c = new PixelCnnConfig();
    c.numCodes = 6;
    c.gridSize = 9;
    c.hidden = 16;
    c.layers = 4;
    c.kernelSize = 3;
    c.firstKernelSize = 5;
    c.outputHidden = 16;
    c.numClasses = classes;
    c.seed = 4;
    return c.validate();
  }

  static float[] randn(Random r, int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) r.nextGaussian();
    }
    return out;
  }

  /**
   * For every output position (i, j), the gradient of its logits (example 0 only) with respect to the embedded
   * input: non-zero at exactly the positions (i', j') before (i, j) in raster order with i - R <= i' and
   * |j' - j| <= R (R = 2 + 3 * 1 = 5 here, so the field is cut inside the 9 x 9 grid), zero everywhere else:
   * at (i, j) itself, after it, outside the field, and in the other example.
   */
  @ParameterizedTest(name = "classes {0}")
  @ValueSource(ints = {0, 3})
  void logitsDependOnExactlyThePositionsBefore(int classes) {
    PixelCnnConfig c = small(classes);
    int s = c.gridSize, p = c.hidden, k = c.numCodes, n = 2, rf = c.receptiveField();
    assertEquals(5, rf);
    Random r = new Random(classes);
    try (PixelCnnPrior prior = new PixelCnnPrior(c, CPU);
         Tensor x = Tensor.of(CPU, randn(r, n * s * s * p), n, s, s, p);
         Tensor labels = classes == 0 ? null : Tensor.ofInts(CPU, new int[] {2, 1}, n);
         Tensor dLogits = Tensor.zeros(CPU, DType.FLOAT32, n, s, s, k)) {
      prior.forwardEmbedded(x, labels);
      int maxField = 0;
      for (int i = 0; i < s; i++) {
        for (int j = 0; j < s; j++) {
          float[] g = new float[n * s * s * k];
          for (int q = 0; q < k; q++) {
            g[(i * s + j) * k + q] = (float) r.nextGaussian();
          }
          dLogits.copyFrom(g);
          float[] dx = prior.backward(dLogits).toFloatArray();
          int field = 0;
          for (int e = 0; e < n; e++) {
            for (int y = 0; y < s; y++) {
              for (int xx = 0; xx < s; xx++) {
                boolean before = y < i || (y == i && xx < j);
                boolean want = e == 0 && before && i - y <= rf && Math.abs(xx - j) <= rf;
                boolean got = false;
                for (int ch = 0; ch < p; ch++) {
                  got |= dx[((e * s + y) * s + xx) * p + ch] != 0f;
                }
                if (want != got) {
                  throw new AssertionError(String.format("d logits(%d, %d) / d input(example %d, %d, %d) is %s, expected"
                      + " %s", i, j, e, y, xx, got ? "non-zero" : "zero", want ? "non-zero (blind spot)"
                      : "zero (leak)"));
                }
                field += want ? 1 : 0;
              }
            }
          }
          maxField = Math.max(maxField, field);
        }
      }
      // (8, 5) sees the 5 rows above in full (|x - 5| <= 5 spans all 9 columns) and 5 positions on its row.
      assertEquals(5 * 9 + 5, maxField, "largest receptive field in the grid");
    }
  }

  /** Central differences of the mean cross-entropy against the analytic gradients (embedded input, parameters). */
  @ParameterizedTest(name = "classes {0}")
  @ValueSource(ints = {0, 2})
  void gradientsMatchFiniteDifferences(int classes) {
    PixelCnnConfig c = new PixelCnnConfig();
    c.numCodes = 5;
    c.gridSize = 4;
    c.hidden = 3;
    c.layers = 3;
    c.kernelSize = 3;
    c.firstKernelSize = 3;
    c.outputHidden = 6;
    c.numClasses = classes;
    int n = 2, s = 4, p = 3;
    Random r = new Random(8 + classes);
    int[] codeValues = new int[n * s * s];
    for (int i = 0; i < codeValues.length; i++) {
      codeValues[i] = r.nextInt(c.numCodes);
    }
    try (PixelCnnPrior prior = new PixelCnnPrior(c, CPU);
         Tensor codes = Tensor.ofInts(CPU, codeValues, n, s, s);
         Tensor labels = classes == 0 ? null : Tensor.ofInts(CPU, new int[] {1, 0}, n)) {
      java.util.function.DoubleSupplier loss = () -> {
        prior.forward(codes, labels);
        double[] nll = prior.nll(codes, labels == null ? null : labels.toIntArray());
        return (nll[0] + nll[1]) / (n * s * s);
      };
      prior.forward(codes, labels);
      double l0 = prior.lossAndBackward(codes).item();
      assertEquals(loss.getAsDouble(), l0, 1e-6, "lossAndBackward's loss is the mean NLL");
      prior.forward(codes, labels);
      prior.lossAndBackward(codes);
      List<Parameter> params = prior.parameters();
      float[][] grads = new float[params.size()][];
      for (int i = 0; i < grads.length; i++) {
        grads[i] = params.get(i).grad().toFloatArray();
      }
      for (int i = 0; i < grads.length; i++) {
        ai.vq4j.nn.GatedPixelCnnLayerTestAccess.check(params.get(i).name(), params.get(i).value(), grads[i], loss, 12);
      }
      // The embedded input's gradient, through forwardEmbedded.
      float[] x0 = randn(r, n * s * s * p);
      try (Tensor x = Tensor.of(CPU, x0, n, s, s, p);
           Tensor dLogits = Tensor.zeros(CPU, DType.FLOAT32, n, s, s, c.numCodes)) {
        float[] rl = randn(r, n * s * s * c.numCodes);
        dLogits.copyFrom(rl);
        java.util.function.DoubleSupplier lin = () -> dot(prior.forwardEmbedded(x, labels).toFloatArray(), rl);
        lin.getAsDouble();
        float[] dx = prior.backward(dLogits).toFloatArray();
        ai.vq4j.nn.GatedPixelCnnLayerTestAccess.check("x", x, dx, lin, 30);
      }
    }
  }

  static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return s;
  }

  @Test
  void parametersAreNamedOnceAndInitialisedFromTheSeed() {
    PixelCnnConfig c = small(3);
    try (PixelCnnPrior a = new PixelCnnPrior(c, CPU); PixelCnnPrior b = new PixelCnnPrior(c, CPU)) {
      Set<String> names = new HashSet<>();
      for (Parameter q : a.parameters()) {
        assertTrue(names.add(q.name()), "duplicate name " + q.name());
      }
      assertEquals(1 + 4 * 9 + 4, a.parameters().size());
      assertEquals("embedding.weight", a.parameters().get(0).name());
      assertEquals("head.conv2.bias", a.parameters().get(a.parameters().size() - 1).name());
      for (int i = 0; i < a.parameters().size(); i++) {
        assertArrayEquals(a.parameters().get(i).value().toFloatArray(), b.parameters().get(i).value().toFloatArray());
      }
      PixelCnnConfig d = PixelCnnConfig.forCodes(512, 8, 0);
      try (PixelCnnPrior def = new PixelCnnPrior(d, CPU)) {
        // 15 layers of (2 masked convs p -> 2p, 1x1 2p -> 2p, 1x1 p -> p), embedding, head 64 -> 512 -> 512.
        long p = 64;
        long first = 2 * (2 * p * 49 * p + 2 * p);
        long later = 2 * (2 * p * 9 * p + 2 * p);
        long links = 4 * p * p + 2 * p + p * p + p;
        long want = 512 * p + first + 14 * later + 15 * links + (p * 512 + 512) + (512 * 512 + 512);
        assertEquals(want, def.parameterCount());
      }
    }
  }

  @Test
  void nllSumsTheCrossEntropyOfEachExample() {
    PixelCnnConfig c = small(0);
    Random r = new Random(1);
    int[] v = new int[3 * 81];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextInt(6);
    }
    try (PixelCnnPrior prior = new PixelCnnPrior(c, CPU); Tensor codes = Tensor.ofInts(CPU, v, 3, 9, 9)) {
      double[] nll = prior.nll(codes, null);
      prior.forward(codes, null);
      double mean = prior.lossAndBackward(codes).item();
      assertEquals(mean, (nll[0] + nll[1] + nll[2]) / (3 * 81), 1e-6);
      // An untrained prior is close to uniform over K = 6 codes.
      assertEquals(Math.log(6), mean, 0.5);
    }
  }

  @Test
  void inputsAreChecked() {
    try (PixelCnnPrior cond = new PixelCnnPrior(small(2), CPU);
         PixelCnnPrior plain = new PixelCnnPrior(small(0), CPU);
         Tensor codes = Tensor.ofInts(CPU, new int[2 * 81], 2, 9, 9);
         Tensor bad = Tensor.ofInts(CPU, new int[2 * 64], 2, 8, 8);
         Tensor labels = Tensor.ofInts(CPU, new int[] {0, 1}, 2);
         Tensor outOfRange = Tensor.ofInts(CPU, new int[] {0, 2}, 2)) {
      assertThrows(IllegalArgumentException.class, () -> cond.forward(codes, null));
      assertThrows(IllegalArgumentException.class, () -> cond.forward(codes, outOfRange));
      assertThrows(IllegalArgumentException.class, () -> plain.forward(codes, labels));
      assertThrows(IllegalArgumentException.class, () -> plain.forward(bad, null));
      int[] big = new int[2 * 81];
      big[5] = 6;
      try (Tensor tooBig = Tensor.ofInts(CPU, big, 2, 9, 9)) {
        // Checked where the codes are used, by the embedding op (on a GPU at the next synchronisation).
        Vq4jException e = assertThrows(Vq4jException.class, () -> plain.forward(tooBig, null));
        assertTrue(e.getMessage().contains("ids[5] = 6 is outside [0, 6)"), e.getMessage());
      }
      cond.forward(codes, labels);
    }
    assertThrows(IllegalArgumentException.class, () -> {
      PixelCnnConfig c = small(0);
      c.firstKernelSize = 4;
      c.validate();
    });
    PixelCnnConfig c = small(2);
    assertEquals(c.toJson(), PixelCnnConfig.fromJson(c.toJson()).toJson());
  }
}
