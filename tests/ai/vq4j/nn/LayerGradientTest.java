package ai.vq4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Every layer's backward against central differences of L = sum(forward(x) * dy), for the input and every
 * parameter (float32 forward, step 3e-3, errors within 2e-3 + 2e-2 relative: a wrong index or factor is off by
 * far more).
 */
class LayerGradientTest {
  static final Device CPU = Device.CPU;

  @Test
  void conv2d() {
    check("conv2d 4x4 s2 p1", () -> new Conv2d("c", CPU, new Rng(1), 3, 4, 4, 2, 1), 2, 6, 6, 3);
    check("conv2d 3x3 s1 p1", () -> new Conv2d("c", CPU, new Rng(2), 2, 5, 3, 1, 1), 1, 5, 4, 2);
    check("conv2d 1x1", () -> new Conv2d("c", CPU, new Rng(3), 4, 3, 1, 1, 0), 2, 3, 3, 4);
    check("conv2d 4x4 s2 p1 on 4x4", () -> new Conv2d("c", CPU, new Rng(8), 2, 4, 4, 2, 1), 2, 4, 4, 2);
    check("conv2d 3x3 on 4x4", () -> new Conv2d("c", CPU, new Rng(8), 4, 3, 3, 1, 1), 2, 4, 4, 4);
  }

  @Test
  void convTranspose2d() {
    check("convT 4x4 s2 p1", () -> new ConvTranspose2d("t", CPU, new Rng(4), 3, 2, 4, 2, 1), 2, 3, 3, 3);
    check("convT 3x3 s1 p1", () -> new ConvTranspose2d("t", CPU, new Rng(5), 2, 3, 3, 1, 1), 1, 4, 5, 2);
  }

  @Test
  void relu() {
    check("relu", () -> new Relu(CPU), 2, 3, 3, 4);
  }

  @Test
  void residualStack() {
    check("residual stack, final ReLU", () -> new ResidualStack("r", CPU, new Rng(6), 4, 3, 2, true), 2, 4, 4, 4);
    check("residual stack, no final ReLU", () -> new ResidualStack("r", CPU, new Rng(7), 3, 2, 1, false), 1, 3, 5, 3);
  }

  @Test
  void sequential() {
    check("conv-relu-convT", () -> new Sequential(List.of(new Conv2d("a", CPU, new Rng(8), 2, 4, 4, 2, 1), new Relu(CPU),
        new ConvTranspose2d("b", CPU, new Rng(9), 4, 2, 4, 2, 1))), 2, 4, 4, 2);
  }

  @Test
  void firstLayerSkipsTheInputGradient() {
    try (Conv2d conv = new Conv2d("c", CPU, new Rng(1), 1, 2, 3, 1, 1);
         Tensor x = Tensor.zeros(CPU, DType.FLOAT32, 1, 4, 4, 1);
         Tensor dy = Tensor.zeros(CPU, DType.FLOAT32, 1, 4, 4, 2)) {
      conv.setInputGradNeeded(false);
      Tensor y = conv.forward(x);
      assertNull(conv.backward(dy));
      assertSame(y, conv.forward(x), "the output buffer is reused for the same shape");
    }
  }

  /** L = sum(layer(x) * dy): analytic gradients of x and every parameter against central differences. */
  static void check(String what, Supplier<Layer> make, int... xShape) {
    Rng rng = new Rng(what.hashCode());
    try (Layer layer = make.get(); Tensor x = Tensor.of(CPU, randn(rng, size(xShape)), xShape)) {
      Tensor y = layer.forward(x);
      float[] dyValues = randn(rng, (int) y.size());
      try (Tensor dy = Tensor.of(CPU, dyValues, y.shape())) {
        float[] dx = layer.backward(dy).toFloatArray();
        compare(what + " dx", x, dx, () -> dot(layer.forward(x).toFloatArray(), dyValues));
        for (Parameter p : layer.parameters()) {
          float[] grad = p.grad().toFloatArray();
          compare(what + " d" + p.name(), p.value(), grad, () -> dot(layer.forward(x).toFloatArray(), dyValues));
        }
        assertEquals(y.size(), dy.size());
      }
    }
  }

  /**
   * Central differences at up to 24 elements of t. An element whose one-sided differences disagree sits on a
   * ReLU kink within the step, where no difference quotient is a derivative: it is skipped, and at most a
   * quarter of the elements may be.
   */
  static void compare(String what, Tensor t, float[] analytic, Supplier<Double> loss) {
    float[] base = t.toFloatArray();
    int stride = Math.max(1, base.length / 24);
    double h = 3e-3;
    double center = loss.get();
    int checked = 0;
    int kinks = 0;
    for (int i = 0; i < base.length; i += stride) {
      float[] v = base.clone();
      v[i] = (float) (base[i] + h);
      t.copyFrom(v);
      double plus = loss.get();
      v[i] = (float) (base[i] - h);
      t.copyFrom(v);
      double minus = loss.get();
      t.copyFrom(base);
      double numeric = (plus - minus) / (2 * h);
      double tol = 2e-3 + 2e-2 * Math.abs(numeric);
      checked++;
      if (Math.abs((plus - center) / h - (center - minus) / h) > 2 * tol) {
        kinks++;
        continue;
      }
      double err = Math.abs(numeric - analytic[i]);
      if (err > tol) {
        throw new AssertionError(String.format("%s[%d]: numeric %.6g, analytic %.6g", what, i, numeric, analytic[i]));
      }
    }
    if (kinks * 4 > checked) {
      throw new AssertionError(what + ": " + kinks + " of " + checked + " elements sit on a ReLU kink");
    }
  }

  static float[] randn(Rng rng, int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) rng.nextGaussian();
    }
    return out;
  }

  static int size(int[] shape) {
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    return n;
  }

  static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return s;
  }
}
