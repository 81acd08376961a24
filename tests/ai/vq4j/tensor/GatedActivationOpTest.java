package ai.vq4j.tensor;

import static ai.vq4j.tensor.OpHarness.*;

import ai.vq4j.io.Safetensors;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class GatedActivationOpTest {
  @ParameterizedTest
  @EnumSource(Backend.class)
  void matchesPyTorch(Backend backend) {
    Safetensors g = golden("gated_activation");
    try (Scope s = new Scope(backend.device())) {
      Tensor x = s.f(g, "x");
      Tensor y = s.zerosLike(g, "y");
      Ops.gatedActivationForward(x, y);
      assertClose("gated y", g.floats("y"), y.toFloatArray(), 1e-6, 1e-5);
      Tensor dx = s.zerosLike(g, "x");
      Ops.gatedActivationBackward(x, s.f(g, "dy"), dx);
      assertClose("gated dx", g.floats("dx"), dx.toFloatArray(), 1e-6, 1e-5);
    }
  }

  @Test
  void gradientMatchesFiniteDifferences() {
    Random rng = new Random(21);
    int[] xs = {2, 3, 3, 8};
    int[] ys = {2, 3, 3, 4};
    float[] x = randn(rng, 144);
    float[] r = randn(rng, 72);
    float[] dx;
    try (Scope s = new Scope()) {
      Tensor dxT = s.zeros(xs);
      Ops.gatedActivationBackward(s.f(x, xs), s.f(r, ys), dxT);
      dx = dxT.toFloatArray();
    }
    checkGradient("gated dx", x, dx, xv -> {
      try (Scope s = new Scope()) {
        Tensor y = s.zeros(ys);
        Ops.gatedActivationForward(s.f(xv, xs), y);
        return dot(y.toFloatArray(), r);
      }
    }, 1e-3, 1e-3, 1e-2, 144);
  }
}
