package ai.vq4j.tensor;

import static ai.vq4j.tensor.OpHarness.*;

import ai.vq4j.io.Safetensors;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LayerNormOpTest {
  @ParameterizedTest
  @EnumSource(Backend.class)
  void matchesPyTorch(Backend backend) {
    Safetensors g = golden("layer_norm");
    try (Scope s = new Scope(backend.device())) {
      Tensor x = s.f(g, "x");
      Tensor gamma = s.f(g, "gamma");
      Tensor y = s.zerosLike(g, "x");
      Tensor mean = s.zerosLike(g, "mean");
      Tensor rstd = s.zerosLike(g, "rstd");
      Ops.layerNormForward(x, gamma, s.f(g, "beta"), y, mean, rstd, metaF(g, "eps"));
      assertClose("layer_norm y", g.floats("y"), y.toFloatArray(), 1e-5, 1e-5);
      assertClose("layer_norm mean", g.floats("mean"), mean.toFloatArray(), 1e-6, 1e-6);
      assertClose("layer_norm rstd", g.floats("rstd"), rstd.toFloatArray(), 1e-6, 1e-5);
      Tensor dx = s.zerosLike(g, "x");
      Tensor dgamma = s.zerosLike(g, "gamma");
      Tensor dbeta = s.zerosLike(g, "gamma");
      Ops.layerNormBackward(x, gamma, mean, rstd, s.f(g, "dy"), dx, dgamma, dbeta);
      assertClose("layer_norm dx", g.floats("dx"), dx.toFloatArray(), 1e-5, 1e-4);
      assertClose("layer_norm dgamma", g.floats("dgamma"), dgamma.toFloatArray(), 1e-5, 1e-5);
      assertClose("layer_norm dbeta", g.floats("dbeta"), dbeta.toFloatArray(), 1e-5, 1e-5);
    }
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    Random rng = new Random(31);
    int rows = 4;
    int c = 9;
    float[] x = randn(rng, rows * c);
    float[] gamma = randn(rng, c);
    float[] beta = randn(rng, c);
    float[] r = randn(rng, rows * c);
    float[] dx;
    float[] dgamma;
    float[] dbeta;
    try (Scope s = new Scope()) {
      Tensor xt = s.f(x, rows, c);
      Tensor gt = s.f(gamma, c);
      Tensor mean = s.zeros(rows);
      Tensor rstd = s.zeros(rows);
      Ops.layerNormForward(xt, gt, s.f(beta, c), s.zeros(rows, c), mean, rstd, 1e-5f);
      Tensor dxT = s.zeros(rows, c);
      Tensor dgT = s.zeros(c);
      Tensor dbT = s.zeros(c);
      Ops.layerNormBackward(xt, gt, mean, rstd, s.f(r, rows, c), dxT, dgT, dbT);
      dx = dxT.toFloatArray();
      dgamma = dgT.toFloatArray();
      dbeta = dbT.toFloatArray();
    }
    checkGradient("layer_norm dx", x, dx, xv -> loss(xv, gamma, beta, r, rows, c), 1e-2, 2e-3, 1e-2, 36);
    checkGradient("layer_norm dgamma", gamma, dgamma, gv -> loss(x, gv, beta, r, rows, c), 1e-2, 2e-3, 1e-2, 9);
    checkGradient("layer_norm dbeta", beta, dbeta, bv -> loss(x, gamma, bv, r, rows, c), 1e-2, 2e-3, 1e-2, 9);
  }

  private static double loss(float[] x, float[] gamma, float[] beta, float[] r, int rows, int c) {
    try (Scope s = new Scope()) {
      Tensor y = s.zeros(rows, c);
      Ops.layerNormForward(s.f(x, rows, c), s.f(gamma, c), s.f(beta, c), y, s.zeros(rows), s.zeros(rows), 1e-5f);
      return dot(y.toFloatArray(), r);
    }
  }
}
