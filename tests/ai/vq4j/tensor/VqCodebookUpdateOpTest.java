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
      Ops.vqEmaUpdate(s.f(g, "z_e"), s.i(g, "codes"), emaCount, emaSum, codebook, metaF(g, "gamma"),
          metaF(g, "eps"));
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
      for (int i = 0; i < 40; i++) {
        Ops.vqEmaUpdate(z, c, emaCount, emaSum, codebook, 0.5f, 1e-5f);
      }
      float[] cb = codebook.toFloatArray();
      assertClose("cluster means", new float[] {2, 2, 0, 0, -3, 0}, cb, 1e-3, 1e-3);
    }
  }
}
