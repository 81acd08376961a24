package ai.vq4j.tensor;

import static ai.vq4j.tensor.OpHarness.*;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.vq4j.io.Safetensors;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LinearOpTest {
  @ParameterizedTest
  @EnumSource(Backend.class)
  void matchesPyTorch(Backend backend) {
    Safetensors g = golden("linear");
    try (Scope s = new Scope(backend.device())) {
      Tensor x = s.f(g, "x");
      Tensor w = s.f(g, "w");
      Tensor y = s.zerosLike(g, "y");
      Ops.linearForward(x, w, s.f(g, "b"), y);
      assertClose("linear y", g.floats("y"), y.toFloatArray(), 1e-5, 1e-5);
      Tensor dy = s.f(g, "dy");
      Tensor dx = s.zerosLike(g, "x");
      Ops.linearBackwardData(dy, w, dx);
      assertClose("linear dx", g.floats("dx"), dx.toFloatArray(), 1e-5, 1e-5);
      Tensor dw = s.zerosLike(g, "w");
      Tensor db = s.zerosLike(g, "b");
      Ops.linearBackwardWeight(x, dy, dw, db);
      assertClose("linear dw", g.floats("dw"), dw.toFloatArray(), 1e-5, 1e-5);
      assertClose("linear db", g.floats("db"), db.toFloatArray(), 1e-5, 1e-5);
      Tensor y0 = s.zerosLike(g, "y");
      Ops.linearForward(x, w, null, y0);
      float[] want = g.floats("y");
      float[] b = g.floats("b");
      for (int i = 0; i < want.length; i++) {
        want[i] -= b[i % b.length];
      }
      assertClose("linear y without bias", want, y0.toFloatArray(), 1e-5, 1e-5);
    }
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    Random rng = new Random(33);
    int rows = 6;
    int in = 5;
    int out = 4;
    float[] x = randn(rng, rows * in);
    float[] w = randn(rng, out * in);
    float[] b = randn(rng, out);
    float[] r = randn(rng, rows * out);
    float[] dx;
    float[] dw;
    float[] db;
    try (Scope s = new Scope()) {
      Tensor rt = s.f(r, rows, out);
      Tensor dxT = s.zeros(rows, in);
      Ops.linearBackwardData(rt, s.f(w, out, in), dxT);
      Tensor dwT = s.zeros(out, in);
      Tensor dbT = s.zeros(out);
      Ops.linearBackwardWeight(s.f(x, rows, in), rt, dwT, dbT);
      dx = dxT.toFloatArray();
      dw = dwT.toFloatArray();
      db = dbT.toFloatArray();
    }
    checkGradient("linear dx", x, dx, v -> loss(v, w, b, r, rows, in, out), 1e-2, 1e-3, 1e-3, 30);
    checkGradient("linear dw", w, dw, v -> loss(x, v, b, r, rows, in, out), 1e-2, 1e-3, 1e-3, 20);
    checkGradient("linear db", b, db, v -> loss(x, w, v, r, rows, in, out), 1e-2, 1e-3, 1e-3, 4);
  }

  @Test
  void refusesMismatchedShapes() {
    try (Scope s = new Scope()) {
      assertThrows(IllegalArgumentException.class,
          () -> Ops.linearForward(s.zeros(3, 5), s.zeros(4, 6), null, s.zeros(3, 4)), "in features");
      assertThrows(IllegalArgumentException.class,
          () -> Ops.linearForward(s.zeros(3, 5), s.zeros(4, 5), s.zeros(3), s.zeros(3, 4)), "bias");
      assertThrows(IllegalArgumentException.class,
          () -> Ops.linearForward(s.zeros(3, 5), s.zeros(4, 5), null, s.zeros(2, 4)), "rows");
    }
  }

  private static double loss(float[] x, float[] w, float[] b, float[] r, int rows, int in, int out) {
    try (Scope s = new Scope()) {
      Tensor y = s.zeros(rows, out);
      Ops.linearForward(s.f(x, rows, in), s.f(w, out, in), s.f(b, out), y);
      return dot(y.toFloatArray(), r);
    }
  }
}
