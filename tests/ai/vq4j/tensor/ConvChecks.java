package ai.vq4j.tensor;

import static ai.vq4j.tensor.OpHarness.*;

import ai.vq4j.io.Safetensors;
import java.util.Random;

/**
 * Shared checks of the three conv families (conv2d, conv_transpose2d, masked_conv2d): golden forward and
 * backward, and finite differences of L = sum(y * r) for x, w and b.
 */
final class ConvChecks {
  /** One conv family bound to its geometry (stride and padding, or mask). */
  interface Conv {
    void forward(Tensor x, Tensor w, Tensor b, Tensor y);

    void backwardData(Tensor dy, Tensor w, Tensor dx);

    void backwardWeight(Tensor x, Tensor dy, Tensor dw, Tensor db);
  }

  /** Float32 conv outputs of a few hundred terms: forward and gradients agree with PyTorch to ~1e-5. */
  static final double ATOL = 1e-4;
  static final double RTOL = 1e-4;

  private ConvChecks() {}

  static void goldenCase(String name, Conv conv, Device device) {
    Safetensors g = golden(name);
    boolean bias = g.has("b");
    try (Scope s = new Scope(device)) {
      Tensor x = s.f(g, "x");
      Tensor w = s.f(g, "w");
      Tensor b = bias ? s.f(g, "b") : null;
      Tensor y = s.zerosLike(g, "y");
      conv.forward(x, w, b, y);
      assertClose(name + " y", g.floats("y"), y.toFloatArray(), ATOL, RTOL);

      Tensor dy = s.f(g, "dy");
      Tensor dx = s.zerosLike(g, "x");
      conv.backwardData(dy, w, dx);
      assertClose(name + " dx", g.floats("dx"), dx.toFloatArray(), ATOL, RTOL);

      Tensor dw = s.zerosLike(g, "w");
      Tensor db = bias ? s.zerosLike(g, "b") : null;
      conv.backwardWeight(x, dy, dw, db);
      assertClose(name + " dw", g.floats("dw"), dw.toFloatArray(), ATOL, RTOL);
      if (bias) {
        assertClose(name + " db", g.floats("db"), db.toFloatArray(), ATOL, RTOL);
      }
    }
  }

  /** Finite differences of L = sum(conv(x, w, b) * r) against the backward ops. */
  static void gradients(String name, Conv conv, int[] xShape, int[] wShape, int[] yShape, long seed) {
    Random rng = new Random(seed);
    int co = yShape[3];
    float[] x0 = randn(rng, size(xShape));
    float[] w0 = randn(rng, size(wShape));
    float[] b0 = randn(rng, co);
    float[] r = randn(rng, size(yShape));
    float[] dx;
    float[] dw;
    float[] db;
    try (Scope s = new Scope()) {
      Tensor dyT = s.f(r, yShape);
      Tensor dxT = s.zeros(xShape);
      Tensor dwT = s.zeros(wShape);
      Tensor dbT = s.zeros(co);
      conv.backwardData(dyT, s.f(w0, wShape), dxT);
      conv.backwardWeight(s.f(x0, xShape), dyT, dwT, dbT);
      dx = dxT.toFloatArray();
      dw = dwT.toFloatArray();
      db = dbT.toFloatArray();
    }
    // L is linear in each argument, so central differences are exact up to float32 rounding of L.
    checkGradient(name + " dx", x0, dx, xv -> loss(conv, xv, w0, b0, r, xShape, wShape, yShape), 1e-2, 2e-3, 1e-2, 60);
    checkGradient(name + " dw", w0, dw, wv -> loss(conv, x0, wv, b0, r, xShape, wShape, yShape), 1e-2, 2e-3, 1e-2, 60);
    checkGradient(name + " db", b0, db, bv -> loss(conv, x0, w0, bv, r, xShape, wShape, yShape), 1e-2, 2e-3, 1e-2, 60);
  }

  private static double loss(Conv conv, float[] x, float[] w, float[] b, float[] r, int[] xShape, int[] wShape,
      int[] yShape) {
    try (Scope s = new Scope()) {
      Tensor y = s.zeros(yShape);
      conv.forward(s.f(x, xShape), s.f(w, wShape), s.f(b, yShape[3]), y);
      return dot(y.toFloatArray(), r);
    }
  }

  static int size(int[] shape) {
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    return n;
  }
}
