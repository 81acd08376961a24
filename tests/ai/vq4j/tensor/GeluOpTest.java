package ai.vq4j.tensor;

import static ai.vq4j.tensor.OpHarness.*;

import ai.vq4j.io.Safetensors;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** GELU, tanh approximation: PyTorch's F.gelu(x, approximate="tanh"). */
class GeluOpTest {
  @ParameterizedTest
  @EnumSource(Backend.class)
  void matchesPyTorch(Backend backend) {
    Safetensors g = golden("gelu");
    try (Scope s = new Scope(backend.device())) {
      Tensor x = s.f(g, "x");
      Tensor y = s.zerosLike(g, "x");
      Ops.geluForward(x, y);
      assertClose("gelu y", g.floats("y"), y.toFloatArray(), 1e-6, 1e-5);
      Tensor dx = s.zerosLike(g, "x");
      Ops.geluBackward(x, s.f(g, "dy"), dx);
      assertClose("gelu dx", g.floats("dx"), dx.toFloatArray(), 1e-6, 1e-5);
    }
  }

  @Test
  void gradientMatchesFiniteDifferences() {
    Random rng = new Random(32);
    int n = 60;
    float[] x = randn(rng, n);
    for (int i = 0; i < n; i++) {
      x[i] *= 3;
    }
    float[] r = randn(rng, n);
    float[] dx;
    try (Scope s = new Scope()) {
      Tensor dxT = s.zeros(n);
      Ops.geluBackward(s.f(x, n), s.f(r, n), dxT);
      dx = dxT.toFloatArray();
    }
    checkGradient("gelu dx", x, dx, xv -> {
      try (Scope s = new Scope()) {
        Tensor y = s.zeros(n);
        Ops.geluForward(s.f(xv, n), y);
        return dot(y.toFloatArray(), r);
      }
    }, 1e-2, 1e-3, 1e-2, n);
  }
}
