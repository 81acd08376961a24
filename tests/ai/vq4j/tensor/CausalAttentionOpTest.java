package ai.vq4j.tensor;

import static ai.vq4j.tensor.OpHarness.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.vq4j.io.Safetensors;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CausalAttentionOpTest {
  @ParameterizedTest
  @EnumSource(Backend.class)
  void matchesPyTorch(Backend backend) {
    Safetensors g = golden("causal_attention");
    int heads = meta(g, "heads");
    try (Scope s = new Scope(backend.device())) {
      Tensor q = s.f(g, "q");
      Tensor k = s.f(g, "k");
      Tensor v = s.f(g, "v");
      Tensor y = s.zerosLike(g, "y");
      Tensor lse = s.zerosLike(g, "lse");
      Ops.causalAttentionForward(q, k, v, q.dim(1), heads, y, lse);
      assertClose("attention y", g.floats("y"), y.toFloatArray(), 1e-5, 1e-5);
      assertClose("attention lse", g.floats("lse"), lse.toFloatArray(), 1e-5, 1e-5);
      Tensor dq = s.zerosLike(g, "q");
      Tensor dk = s.zerosLike(g, "k");
      Tensor dv = s.zerosLike(g, "v");
      Ops.causalAttentionBackward(q, k, v, y, lse, s.f(g, "dy"), dq, dk, dv, heads);
      assertClose("attention dq", g.floats("dq"), dq.toFloatArray(), 1e-5, 1e-4);
      assertClose("attention dk", g.floats("dk"), dk.toFloatArray(), 1e-5, 1e-4);
      assertClose("attention dv", g.floats("dv"), dv.toFloatArray(), 1e-5, 1e-4);
    }
  }

  /** The last tq queries against the first tk of a longer key/value buffer (a sampling cache). */
  @ParameterizedTest
  @EnumSource(Backend.class)
  void cachedQueriesMatchPyTorch(Backend backend) {
    Safetensors g = golden("causal_attention_cached");
    try (Scope s = new Scope(backend.device())) {
      Tensor y = s.zerosLike(g, "y");
      Tensor lse = s.zerosLike(g, "lse");
      Ops.causalAttentionForward(s.f(g, "q"), s.f(g, "k"), s.f(g, "v"), meta(g, "tk"), meta(g, "heads"), y, lse);
      assertClose("cached attention y", g.floats("y"), y.toFloatArray(), 1e-5, 1e-5);
      assertClose("cached attention lse", g.floats("lse"), lse.toFloatArray(), 1e-5, 1e-5);
    }
  }

  /** Keys after a query's position are never read: changing them (even to NaN) changes no earlier output. */
  @Test
  void maskedKeysAreNeverRead() {
    Random rng = new Random(34);
    int b = 2, t = 6, c = 8, heads = 2;
    float[] q = randn(rng, b * t * c);
    float[] k = randn(rng, b * t * c);
    float[] v = randn(rng, b * t * c);
    float[] y1 = forward(q, k, v, b, t, c, heads);
    int p = 3;
    for (int bi = 0; bi < b; bi++) {
      for (int j = p + 1; j < t; j++) {
        for (int e = 0; e < c; e++) {
          k[(bi * t + j) * c + e] = Float.NaN;
          v[(bi * t + j) * c + e] = Float.NaN;
        }
      }
    }
    float[] y2 = forward(q, k, v, b, t, c, heads);
    for (int bi = 0; bi < b; bi++) {
      for (int i = 0; i <= p; i++) {
        int o = (bi * t + i) * c;
        assertArrayEquals(java.util.Arrays.copyOfRange(y1, o, o + c), java.util.Arrays.copyOfRange(y2, o, o + c),
            "row " + i + " of batch " + bi);
      }
    }
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    Random rng = new Random(35);
    int b = 2, t = 5, c = 6, heads = 2;
    int n = b * t * c;
    float[][] qkv = {randn(rng, n), randn(rng, n), randn(rng, n)};
    float[] r = randn(rng, n);
    float[][] grads = new float[3][];
    try (Scope s = new Scope()) {
      Tensor q = s.f(qkv[0], b, t, c);
      Tensor k = s.f(qkv[1], b, t, c);
      Tensor v = s.f(qkv[2], b, t, c);
      Tensor y = s.zeros(b, t, c);
      Tensor lse = s.zeros(b, heads, t);
      Ops.causalAttentionForward(q, k, v, t, heads, y, lse);
      Tensor[] d = {s.zeros(b, t, c), s.zeros(b, t, c), s.zeros(b, t, c)};
      Ops.causalAttentionBackward(q, k, v, y, lse, s.f(r, b, t, c), d[0], d[1], d[2], heads);
      for (int i = 0; i < 3; i++) {
        grads[i] = d[i].toFloatArray();
      }
    }
    String[] names = {"dq", "dk", "dv"};
    for (int which = 0; which < 3; which++) {
      final int w = which;
      checkGradient("attention " + names[w], qkv[w], grads[w], x -> {
        float[][] in = {qkv[0], qkv[1], qkv[2]};
        in[w] = x;
        return dot(forward(in[0], in[1], in[2], b, t, c, heads), r);
      }, 1e-2, 2e-3, 1e-2, n);
    }
  }

  private static float[] forward(float[] q, float[] k, float[] v, int b, int t, int c, int heads) {
    try (Scope s = new Scope()) {
      Tensor y = s.zeros(b, t, c);
      Ops.causalAttentionForward(s.f(q, b, t, c), s.f(k, b, t, c), s.f(v, b, t, c), t, heads, y,
          s.zeros(b, heads, t));
      return y.toFloatArray();
    }
  }
}
