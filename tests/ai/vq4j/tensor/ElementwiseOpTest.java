package ai.vq4j.tensor;

import static ai.vq4j.tensor.OpHarness.*;

import ai.vq4j.io.Safetensors;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ElementwiseOpTest {
  @ParameterizedTest
  @EnumSource(Backend.class)
  void reluMatchesPyTorch(Backend backend) {
    Safetensors g = golden("relu");
    try (Scope s = new Scope(backend.device())) {
      Tensor x = s.f(g, "x");
      Tensor y = s.zerosLike(g, "y");
      Ops.reluForward(x, y);
      assertClose("relu y", g.floats("y"), y.toFloatArray(), 0, 0);
      Tensor dx = s.zerosLike(g, "x");
      Ops.reluBackward(y, s.f(g, "dy"), dx);
      assertClose("relu dx", g.floats("dx"), dx.toFloatArray(), 0, 0);
    }
  }

  @Test
  void reluGradientMatchesFiniteDifferences() {
    Random rng = new Random(11);
    float[] x = randn(rng, 40);
    for (int i = 0; i < x.length; i++) {
      x[i] += Math.copySign(0.05f, x[i]); // stay off the kink at 0, where the derivative is undefined
    }
    float[] r = randn(rng, 40);
    float[] dx;
    try (Scope s = new Scope()) {
      Tensor y = s.zeros(40);
      Ops.reluForward(s.f(x, 40), y);
      Tensor dxT = s.zeros(40);
      Ops.reluBackward(y, s.f(r, 40), dxT);
      dx = dxT.toFloatArray();
    }
    checkGradient("relu dx", x, dx, xv -> {
      try (Scope s = new Scope()) {
        Tensor y = s.zeros(40);
        Ops.reluForward(s.f(xv, 40), y);
        return dot(y.toFloatArray(), r);
      }
    }, 1e-2, 1e-4, 1e-4, 40);
  }

  @Test
  void reluInPlace() {
    try (Scope s = new Scope()) {
      Tensor x = s.f(new float[] {-1, 2, -3, 4}, 4);
      Ops.reluForward(x, x);
      assertClose("relu in place", new float[] {0, 2, 0, 4}, x.toFloatArray(), 0, 0);
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void addMatchesPyTorch(Backend backend) {
    Safetensors g = golden("add");
    try (Scope s = new Scope(backend.device())) {
      Tensor y = s.zerosLike(g, "y");
      Ops.add(s.f(g, "a"), s.f(g, "b"), y);
      assertClose("add y", g.floats("y"), y.toFloatArray(), 1e-6, 1e-6);
    }
  }

  @Test
  void addGradientMatchesFiniteDifferences() {
    // The residual add hands dy to both inputs unchanged: d sum((a + b) r) / da = r.
    Random rng = new Random(12);
    float[] a = randn(rng, 24);
    float[] b = randn(rng, 24);
    float[] r = randn(rng, 24);
    checkGradient("add da", a, r, av -> {
      try (Scope s = new Scope()) {
        Tensor y = s.zeros(24);
        Ops.add(s.f(av, 24), s.f(b, 24), y);
        return dot(y.toFloatArray(), r);
      }
    }, 1e-2, 1e-4, 1e-3, 24);
  }
}
