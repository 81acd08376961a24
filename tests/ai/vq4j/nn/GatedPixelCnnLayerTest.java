package ai.vq4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Mask;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The gated layer's receptive field, position by position (the gradient of one output position with respect
 * to every input position is non-zero exactly where the masks say), and finite-difference checks of the
 * gated layer, the masked conv layer and the embedding.
 */
class GatedPixelCnnLayerTest {
  static final Device CPU = Device.CPU;

  static float[] randn(Random r, int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) r.nextGaussian();
    }
    return out;
  }

  /**
   * For every output position (i, j) of v and of h, backpropagates a random gradient at that position alone
   * and checks which input positions of xV and xH get a non-zero gradient. Mask A layer (first): h(i, j) reads
   * xH at (i, j - c .. j - 1) and xV at rows i - c .. i - 1, columns j - c .. j + c (through the
   * vertical-to-horizontal 1x1); v(i, j) reads only xV there. Mask B layer: xH at (i, j - c .. j) (the centre
   * through H_B and the residual) and xV at rows i - c .. i (V_B: the vertical input at row i carries only
   * rows above, by induction from a first layer's V_A).
   */
  @ParameterizedTest(name = "first {0}, k {1}, classes {2}")
  @CsvSource({"true, 5, 0", "false, 3, 0", "true, 3, 3", "false, 5, 2"})
  void eachOutputReadsExactlyItsMaskedInputs(boolean first, int k, int classes) {
    int n = 2, s = 7, p = 4, c = k / 2;
    Random r = new Random(k * 10 + classes);
    try (GatedPixelCnnLayer layer = new GatedPixelCnnLayer("l", CPU, new Rng(5), p, k, first, classes);
         Tensor xV = Tensor.of(CPU, randn(r, n * s * s * p), n, s, s, p);
         Tensor xH = Tensor.of(CPU, randn(r, n * s * s * p), n, s, s, p);
         Tensor ids = classes == 0 ? null : Tensor.ofInts(CPU, labelGrid(new int[] {classes - 1, 0}, s), n, s, s);
         Tensor dv = Tensor.zeros(CPU, DType.FLOAT32, n, s, s, p);
         Tensor dh = Tensor.zeros(CPU, DType.FLOAT32, n, s, s, p)) {
      layer.forward(xV, xH, ids);
      int nonZero = 0;
      for (String out : new String[] {"v", "h"}) {
        for (int i = 0; i < s; i++) {
          for (int j = 0; j < s; j++) {
            float[] g = new float[n * s * s * p];
            for (int ch = 0; ch < p; ch++) {
              g[((s + i) * s + j) * p + ch] = (float) r.nextGaussian();  // example 1 only
            }
            dv.copyFrom(out.equals("v") ? g : new float[g.length]);
            dh.copyFrom(out.equals("h") ? g : new float[g.length]);
            layer.backward(dv, dh);
            float[] gv = layer.dxV().toFloatArray();
            float[] gh = layer.dxH().toFloatArray();
            for (int e = 0; e < n; e++) {
              for (int y = 0; y < s; y++) {
                for (int x = 0; x < s; x++) {
                  boolean inV = e == 1 && y >= i - c && (first ? y < i : y <= i) && Math.abs(x - j) <= c;
                  boolean inH = e == 1 && out.equals("h") && y == i && x >= j - c && (first ? x < j : x <= j);
                  String where = String.format("layer first=%s k%d: d %s(%d, %d) / d x%s(example %d, %d, %d)",
                      first, k, out, i, j, "%s", e, y, x);
                  assertEquals(inV, anyNonZero(gv, e, y, x, s, p), String.format(where, "V"));
                  assertEquals(inH, anyNonZero(gh, e, y, x, s, p), String.format(where, "H"));
                  nonZero += (inV ? 1 : 0) + (inH ? 1 : 0);
                }
              }
            }
          }
        }
      }
      assertTrue(nonZero > s * s, "the checks saw non-zero gradients");
    }
  }

  static int[] labelGrid(int[] labels, int s) {
    int[] ids = new int[labels.length * s * s];
    for (int i = 0; i < labels.length; i++) {
      java.util.Arrays.fill(ids, i * s * s, (i + 1) * s * s, labels[i]);
    }
    return ids;
  }

  static boolean anyNonZero(float[] g, int e, int y, int x, int s, int p) {
    for (int ch = 0; ch < p; ch++) {
      if (g[((e * s + y) * s + x) * p + ch] != 0f) {
        return true;
      }
    }
    return false;
  }

  /** Without a vertical gradient (the last layer's v feeds nothing) backward equals a zero vertical gradient. */
  @Test
  void nullVerticalGradientIsZero() {
    int n = 1, s = 5, p = 3;
    Random r = new Random(2);
    try (GatedPixelCnnLayer layer = new GatedPixelCnnLayer("l", CPU, new Rng(1), p, 3, false, 2);
         Tensor xV = Tensor.of(CPU, randn(r, n * s * s * p), n, s, s, p);
         Tensor xH = Tensor.of(CPU, randn(r, n * s * s * p), n, s, s, p);
         Tensor ids = Tensor.ofInts(CPU, labelGrid(new int[] {1}, s), n, s, s);
         Tensor dh = Tensor.of(CPU, randn(r, n * s * s * p), n, s, s, p);
         Tensor zero = Tensor.zeros(CPU, DType.FLOAT32, n, s, s, p)) {
      layer.forward(xV, xH, ids);
      layer.backward(zero, dh);
      List<float[]> withZero = snapshot(layer);
      layer.backward(null, dh);
      List<float[]> withNull = snapshot(layer);
      for (int i = 0; i < withZero.size(); i++) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(withZero.get(i), withNull.get(i), "gradient " + i);
      }
    }
  }

  static List<float[]> snapshot(GatedPixelCnnLayer layer) {
    List<float[]> out = new ArrayList<>();
    out.add(layer.dxV().toFloatArray());
    out.add(layer.dxH().toFloatArray());
    for (Parameter q : layer.parameters()) {
      out.add(q.grad().toFloatArray());
    }
    return out;
  }

  // ------------------------------------------------------------------ finite differences

  /**
   * Central differences of L = sum(v * rv) + sum(h * rh) against the analytic gradients of xV, xH and of a
   * spread of elements of every parameter (masked taps included: both are zero there).
   */
  @ParameterizedTest(name = "first {0}, classes {1}")
  @CsvSource({"true, 0", "false, 0", "true, 3", "false, 2"})
  void gatedLayerGradientsMatchFiniteDifferences(boolean first, int classes) {
    int n = 2, s = 4, p = 3, k = 3;
    Random r = new Random(first ? 1 : 2);
    try (GatedPixelCnnLayer layer = new GatedPixelCnnLayer("l", CPU, new Rng(9), p, k, first, classes);
         Tensor xV = Tensor.of(CPU, randn(r, n * s * s * p), n, s, s, p);
         Tensor xH = Tensor.of(CPU, randn(r, n * s * s * p), n, s, s, p);
         Tensor ids = classes == 0 ? null : Tensor.ofInts(CPU, labelGrid(new int[] {classes - 1, 0}, s), n, s, s);
         Tensor rv = Tensor.of(CPU, randn(r, n * s * s * p), n, s, s, p);
         Tensor rh = Tensor.of(CPU, randn(r, n * s * s * p), n, s, s, p)) {
      float[] rvA = rv.toFloatArray();
      float[] rhA = rh.toFloatArray();
      DoubleSupplier loss = () -> {
        layer.forward(xV, xH, ids);
        return dot(layer.v().toFloatArray(), rvA) + dot(layer.h().toFloatArray(), rhA);
      };
      loss.getAsDouble();
      layer.backward(rv, rh);
      List<Tensor> targets = new ArrayList<>(List.of(xV, xH));
      List<float[]> analytic = new ArrayList<>(List.of(layer.dxV().toFloatArray(), layer.dxH().toFloatArray()));
      List<String> names = new ArrayList<>(List.of("xV", "xH"));
      for (Parameter q : layer.parameters()) {
        targets.add(q.value());
        analytic.add(q.grad().toFloatArray());
        names.add(q.name());
      }
      for (int t = 0; t < targets.size(); t++) {
        checkFiniteDifferences(names.get(t), targets.get(t), analytic.get(t), loss, 25);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Mask.class)
  void maskedConvLayerGradientsMatchFiniteDifferences(Mask mask) {
    int n = 2, s = 4, ci = 3, co = 2;
    Random r = new Random(mask.ordinal());
    try (MaskedConv2d conv = new MaskedConv2d("m", CPU, new Rng(3), ci, co, 3, mask);
         Tensor x = Tensor.of(CPU, randn(r, n * s * s * ci), n, s, s, ci);
         Tensor dy = Tensor.of(CPU, randn(r, n * s * s * co), n, s, s, co)) {
      float[] dyA = dy.toFloatArray();
      DoubleSupplier loss = () -> dot(conv.forward(x).toFloatArray(), dyA);
      loss.getAsDouble();
      float[] dx = conv.backward(dy).toFloatArray();
      checkFiniteDifferences("x", x, dx, loss, 40);
      for (Parameter q : conv.parameters()) {
        checkFiniteDifferences(q.name(), q.value(), q.grad().toFloatArray(), loss, 40);
      }
      // Masked taps start at zero and get no gradient, so no optimizer moves them.
      float[] w = conv.parameters().get(0).value().toFloatArray();
      float[] gw = conv.parameters().get(0).grad().toFloatArray();
      for (int o = 0; o < co; o++) {
        for (int i = 0; i < 3; i++) {
          for (int j = 0; j < 3; j++) {
            for (int c = 0; c < ci; c++) {
              int at = ((o * 3 + i) * 3 + j) * ci + c;
              if (!mask.keeps(3, i, j)) {
                assertEquals(0f, w[at], "masked weight");
                assertEquals(0f, gw[at], "masked gradient");
              }
            }
          }
        }
      }
    }
  }

  @Test
  void embeddingGradientIsTheSumPerId() {
    Random r = new Random(4);
    try (Embedding emb = new Embedding("e", CPU, new Rng(2), 5, 3);
         Tensor ids = Tensor.ofInts(CPU, new int[] {0, 4, 4, 2, 0, 4}, 2, 3);
         Tensor dy = Tensor.of(CPU, randn(r, 18), 2, 3, 3)) {
      float[] dyA = dy.toFloatArray();
      DoubleSupplier loss = () -> dot(emb.forward(ids).toFloatArray(), dyA);
      loss.getAsDouble();
      assertEquals(null, emb.backward(dy));
      checkFiniteDifferences("table", emb.weight().value(), emb.weight().grad().toFloatArray(), loss, 15);
      assertThrows(IllegalArgumentException.class, () -> emb.forward(dy));
    }
  }

  @Test
  void inputsAreChecked() {
    try (GatedPixelCnnLayer cond = new GatedPixelCnnLayer("l", CPU, new Rng(1), 3, 3, true, 2);
         Tensor x = Tensor.zeros(CPU, DType.FLOAT32, 1, 4, 4, 3);
         Tensor wrong = Tensor.zeros(CPU, DType.FLOAT32, 1, 4, 4, 2)) {
      assertThrows(IllegalArgumentException.class, () -> cond.forward(x, x, null), "labels required");
      assertThrows(IllegalArgumentException.class, () -> cond.forward(x, wrong, null));
      assertEquals(9, cond.parameters().size());
      assertEquals("l.v.weight", cond.parameters().get(0).name());
      assertEquals("l.cond.weight", cond.parameters().get(8).name());
    }
  }

  /** Central differences at up to maxChecks elements of target (float32 forward, so h = 1e-2). */
  static void checkFiniteDifferences(String what, Tensor target, float[] analytic, DoubleSupplier loss, int maxChecks) {
    float[] base = target.toFloatArray();
    int step = Math.max(1, base.length / maxChecks);
    double h = 1e-2;
    for (int i = 0; i < base.length; i += step) {
      float[] v = base.clone();
      v[i] = (float) (base[i] + h);
      target.copyFrom(v);
      double plus = loss.getAsDouble();
      v[i] = (float) (base[i] - h);
      target.copyFrom(v);
      double minus = loss.getAsDouble();
      target.copyFrom(base);
      double numeric = (plus - minus) / ((double) (float) (base[i] + h) - (float) (base[i] - h));
      double err = Math.abs(numeric - analytic[i]);
      if (!(err <= 2e-3 + 2e-2 * Math.abs(numeric))) {
        throw new AssertionError(String.format("%s: d/d[%d] numeric %.6g analytic %.6g (error %.3g)", what, i, numeric,
            analytic[i], err));
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
}
