package ai.vq4j.tensor;

import static ai.vq4j.tensor.OpHarness.*;

import ai.vq4j.io.Safetensors;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Row-wise l2 normalisation (ViT-VQGAN's codes) against PyTorch's F.normalize, and by finite differences. */
class L2NormalizeOpTest {
  @ParameterizedTest
  @EnumSource(Backend.class)
  void matchesPyTorch(Backend backend) {
    // Row 0 is zero: it stays zero, and its gradient is dy / eps as PyTorch's clamp gives.
    Safetensors g = golden("l2_normalize");
    try (Scope s = new Scope(backend.device())) {
      Tensor x = s.f(g, "x");
      Tensor y = s.zerosLike(g, "x");
      Ops.l2NormalizeForward(x, y);
      assertClose("y", g.floats("y"), y.toFloatArray(), 1e-7, 1e-6);
      Tensor dx = s.zerosLike(g, "x");
      Ops.l2NormalizeBackward(x, s.f(g, "dy"), dx);
      assertClose("dx", g.floats("dx"), dx.toFloatArray(), 1e-6, 1e-5);
    }
  }

  @Test
  void backwardMatchesFiniteDifferences() {
    Random rng = new Random(31);
    int rows = 6;
    int d = 7;
    float[] x = randn(rng, rows * d);
    float[] dy = randn(rng, rows * d);
    try (Scope s = new Scope()) {
      Tensor dx = s.zeros(rows, d);
      Ops.l2NormalizeBackward(s.f(x, rows, d), s.f(dy, rows, d), dx);
      checkGradient("dx", x, dx.toFloatArray(), v -> {
        try (Scope t = new Scope()) {
          Tensor y = t.zeros(rows, d);
          Ops.l2NormalizeForward(t.f(v, rows, d), y);
          return dot(y.toFloatArray(), dy);
        }
      }, 1e-3, 1e-4, 1e-3, 42);
    }
  }
}
