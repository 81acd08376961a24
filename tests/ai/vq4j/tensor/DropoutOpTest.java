package ai.vq4j.tensor;

import static ai.vq4j.tensor.OpHarness.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.vq4j.io.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The mask is vq4j's counter hash of (key, i); the golden file pins it, so both backends draw the same mask. */
class DropoutOpTest {
  @ParameterizedTest
  @EnumSource(Backend.class)
  void drawsThePinnedMask(Backend backend) {
    Safetensors g = golden("dropout");
    float p = metaF(g, "p");
    long key = Long.parseUnsignedLong(g.meta("key"));
    try (Scope s = new Scope(backend.device())) {
      Tensor y = s.zerosLike(g, "x");
      Ops.dropout(s.f(g, "x"), y, p, key);
      assertArrayEquals(g.floats("y"), y.toFloatArray(), "dropout y (bit-exact)");
      // The backward is the same call on dy: the gradient flows exactly where the forward kept.
      Tensor dx = s.zerosLike(g, "x");
      float[] ones = new float[g.floats("x").length];
      java.util.Arrays.fill(ones, 1f);
      Ops.dropout(s.f(ones, ones.length), dx, p, key);
      int[] keep = g.ints("keep");
      float[] d = dx.toFloatArray();
      for (int i = 0; i < keep.length; i++) {
        assertNotEquals(keep[i] == 1, d[i] == 0f, "dropout mask at " + i);
      }
    }
  }

  @Test
  void keepsAboutOneMinusPAndDependsOnTheKey() {
    int n = 100_000;
    float[] ones = new float[n];
    java.util.Arrays.fill(ones, 1f);
    try (Scope s = new Scope()) {
      Tensor x = s.f(ones, n);
      Tensor a = s.zeros(n);
      Tensor b = s.zeros(n);
      Ops.dropout(x, a, 0.25f, 1);
      Ops.dropout(x, b, 0.25f, 2);
      float[] av = a.toFloatArray();
      float[] bv = b.toFloatArray();
      int kept = 0;
      int same = 0;
      for (int i = 0; i < n; i++) {
        kept += av[i] != 0 ? 1 : 0;
        same += (av[i] != 0) == (bv[i] != 0) ? 1 : 0;
      }
      // 0.75 n kept, standard deviation 137; two independent masks agree on 0.625 n.
      org.junit.jupiter.api.Assertions.assertTrue(Math.abs(kept - 75_000) < 1_000, "kept " + kept);
      org.junit.jupiter.api.Assertions.assertTrue(Math.abs(same - 62_500) < 1_000, "agree " + same);
      org.junit.jupiter.api.Assertions.assertEquals(1f / 0.75f, av[firstKept(av)], "inverted scale");
    }
  }

  private static int firstKept(float[] v) {
    for (int i = 0; i < v.length; i++) {
      if (v[i] != 0) {
        return i;
      }
    }
    throw new AssertionError("nothing kept");
  }
}
