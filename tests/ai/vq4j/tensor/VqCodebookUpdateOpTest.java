package ai.vq4j.tensor;

import static ai.vq4j.tensor.OpHarness.*;

import ai.vq4j.io.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class VqCodebookUpdateOpTest {
  @ParameterizedTest
  @EnumSource(Backend.class)
  void emaUpdateMatchesPyTorch(Backend backend) {
    Safetensors g = golden("vq_ema_update");
    try (Scope s = new Scope(backend.device())) {
      Tensor emaCount = s.f(g, "ema_count_in");
      Tensor emaSum = s.f(g, "ema_sum_in");
      Tensor codebook = s.zerosLike(g, "codebook_out");
      Tensor counts = s.zeros(emaCount.dim(0));
      Tensor sums = s.zerosLike(g, "codebook_out");
      Ops.vqCodeSums(s.i(g, "codes"), s.f(g, "z_e"), counts, sums);
      Ops.vqEmaUpdate(counts, sums, emaCount, emaSum, codebook, metaF(g, "gamma"), metaF(g, "eps"));
      assertClose("ema_count", g.floats("ema_count_out"), emaCount.toFloatArray(), 1e-6, 1e-5);
      assertClose("ema_sum", g.floats("ema_sum_out"), emaSum.toFloatArray(), 1e-6, 1e-5);
      assertClose("codebook", g.floats("codebook_out"), codebook.toFloatArray(), 1e-5, 1e-4);
    }
  }

  @Test
  void repeatedUpdatesConvergeToTheClusterMeans() {
    // Two well-separated clusters assigned to codes 0 and 2: with gamma 0.5, after 40 updates the codebook
    // holds their means and the unused code 1 keeps a finite value.
    float[] zE = {1, 1, 3, 3, -2, 0, -4, 0};
    int[] codes = {0, 0, 2, 2};
    try (Scope s = new Scope()) {
      Tensor z = s.f(zE, 4, 2);
      Tensor c = s.i(codes, 4);
      Tensor emaCount = s.zeros(3);
      Tensor emaSum = s.zeros(3, 2);
      Tensor codebook = s.zeros(3, 2);
      Tensor counts = s.zeros(3);
      Tensor sums = s.zeros(3, 2);
      Ops.vqCodeSums(c, z, counts, sums);
      assertClose("counts", new float[] {2, 0, 2}, counts.toFloatArray(), 0, 0);
      assertClose("sums", new float[] {4, 4, 0, 0, -6, 0}, sums.toFloatArray(), 0, 0);
      for (int i = 0; i < 40; i++) {
        Ops.vqEmaUpdate(counts, sums, emaCount, emaSum, codebook, 0.5f, 1e-5f);
      }
      float[] cb = codebook.toFloatArray();
      assertClose("cluster means", new float[] {2, 2, 0, 0, -3, 0}, cb, 1e-3, 1e-3);
    }
  }

  /** What data-parallel ranks rely on: the sums of two halves of a batch are the sums of the whole. */
  @ParameterizedTest
  @EnumSource(Backend.class)
  void sumsOfSlicesAddUpToTheWholeBatch(Backend backend) {
    Rng rng = new Rng(21);
    int rows = 40, d = 5, k = 7;
    float[] z = new float[rows * d];
    for (int i = 0; i < z.length; i++) {
      z[i] = (float) Math.rint(rng.nextDouble() * 16 - 8);  // integers: every order of addition is exact
    }
    int[] codes = new int[rows];
    for (int r = 0; r < rows; r++) {
      codes[r] = (int) (rng.nextDouble() * k);
    }
    try (Scope s = new Scope(backend.device())) {
      Tensor counts = s.zeros(k);
      Tensor sums = s.zeros(k, d);
      Ops.vqCodeSums(s.i(codes, rows), s.f(z, rows, d), counts, sums);
      float[] halfCounts = new float[k];
      float[] halfSums = new float[k * d];
      for (int half = 0; half < 2; half++) {
        int from = half * rows / 2;
        Tensor c = s.zeros(k);
        Tensor m = s.zeros(k, d);
        Ops.vqCodeSums(s.i(java.util.Arrays.copyOfRange(codes, from, from + rows / 2), rows / 2),
            s.f(java.util.Arrays.copyOfRange(z, from * d, (from + rows / 2) * d), rows / 2, d), c, m);
        float[] cc = c.toFloatArray();
        float[] mm = m.toFloatArray();
        for (int j = 0; j < k; j++) {
          halfCounts[j] += cc[j];
        }
        for (int i = 0; i < k * d; i++) {
          halfSums[i] += mm[i];
        }
      }
      assertClose("counts", counts.toFloatArray(), halfCounts, 0, 0);
      assertClose("sums", sums.toFloatArray(), halfSums, 0, 0);
      Tensor countsOnly = s.zeros(k);
      Ops.vqCodeSums(s.i(codes, rows), null, countsOnly, null);
      assertClose("counts without sums", counts.toFloatArray(), countsOnly.toFloatArray(), 0, 0);
    }
  }
}
