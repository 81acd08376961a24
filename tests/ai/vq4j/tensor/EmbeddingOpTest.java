package ai.vq4j.tensor;

import static ai.vq4j.tensor.OpHarness.*;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.vq4j.io.Safetensors;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class EmbeddingOpTest {
  @ParameterizedTest
  @EnumSource(Backend.class)
  void matchesPyTorch(Backend backend) {
    Safetensors g = golden("embedding");
    try (Scope s = new Scope(backend.device())) {
      Tensor table = s.f(g, "table");
      Tensor ids = s.i(g, "ids");
      Tensor y = s.zerosLike(g, "y");
      Ops.embeddingForward(table, ids, y);
      assertClose("embedding y", g.floats("y"), y.toFloatArray(), 0, 0);
      Tensor dtable = s.zerosLike(g, "table");
      Ops.embeddingBackward(ids, s.f(g, "dy"), dtable);
      assertClose("embedding dtable", g.floats("dtable"), dtable.toFloatArray(), 1e-6, 1e-6);
    }
  }

  @Test
  void gradientMatchesFiniteDifferences() {
    Random rng = new Random(41);
    int k = 5;
    int d = 3;
    int[] ids = {0, 2, 2, 4, 0, 0, 1};
    float[] table = randn(rng, k * d);
    float[] r = randn(rng, ids.length * d);
    float[] dtable;
    try (Scope s = new Scope()) {
      Tensor dt = s.zeros(k, d);
      Ops.embeddingBackward(s.i(ids, ids.length), s.f(r, ids.length, d), dt);
      dtable = dt.toFloatArray();
    }
    checkGradient("embedding dtable", table, dtable, tv -> {
      try (Scope s = new Scope()) {
        Tensor y = s.zeros(ids.length, d);
        Ops.embeddingForward(s.f(tv, k, d), s.i(ids, ids.length), y);
        return dot(y.toFloatArray(), r);
      }
    }, 1e-2, 1e-4, 1e-3, k * d);
  }

  @Test
  void idOutOfRangeIsANativeError() {
    try (Scope s = new Scope()) {
      assertThrows(Vq4jException.class,
          () -> Ops.embeddingForward(s.zeros(4, 2), s.i(new int[] {1, -1}, 2), s.zeros(2, 2)));
      assertThrows(Vq4jException.class,
          () -> Ops.embeddingBackward(s.i(new int[] {4, 0}, 2), s.zeros(2, 2), s.zeros(4, 2)));
    }
  }
}
