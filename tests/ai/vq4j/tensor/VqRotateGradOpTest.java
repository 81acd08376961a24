package ai.vq4j.tensor;

import static ai.vq4j.tensor.OpHarness.*;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.io.Safetensors;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The rotation trick's gradient (Fifty et al. 2024) against PyTorch, and the map it is the transpose of. */
class VqRotateGradOpTest {
  @ParameterizedTest
  @EnumSource(Backend.class)
  void matchesPyTorch(Backend backend) {
    // Rows 0 to 3: z_e = 0, z_q = 0, opposite directions, the same direction.
    Safetensors g = golden("vq_rotate_grad");
    try (Scope s = new Scope(backend.device())) {
      Tensor dzRot = s.zerosLike(g, "dz_q");
      Ops.vqRotateGrad(s.f(g, "z_e"), s.f(g, "z_q"), s.f(g, "dz_q"), dzRot);
      assertClose("dz_rot", g.floats("dz_rot"), dzRot.toFloatArray(), 1e-6, 1e-5);
      // In place, as the quantizer may call it.
      Tensor dzQ = s.f(g, "dz_q");
      Ops.vqRotateGrad(s.f(g, "z_e"), s.f(g, "z_q"), dzQ, dzQ);
      assertClose("dz_rot in place", g.floats("dz_rot"), dzQ.toFloatArray(), 1e-6, 1e-5);
    }
  }

  /**
   * The gradient is M^T dz_q for the linear map M = lambda R of the paper; reading M back column by column
   * from unit gradients, M must take z_e to z_q and be lambda times an orthogonal matrix (M^T M = lambda^2 I).
   */
  @Test
  void isTheTransposeOfAScaledRotationTakingZeToZq() {
    Random rng = new Random(77);
    int d = 5;
    float[] zE = randn(rng, d);
    float[] zQ = randn(rng, d);
    double lambda = Math.sqrt(dot(zQ, zQ) / dot(zE, zE));
    double[][] m = new double[d][d];
    try (Scope s = new Scope()) {
      Tensor e = s.f(zE, 1, d);
      Tensor q = s.f(zQ, 1, d);
      Tensor out = s.zeros(1, d);
      for (int i = 0; i < d; i++) {
        float[] unit = new float[d];
        unit[i] = 1;
        Ops.vqRotateGrad(e, q, s.f(unit, 1, d), out);
        float[] row = out.toFloatArray();  // M^T times the unit vector i: row i of M
        for (int j = 0; j < d; j++) {
          m[i][j] = row[j];
        }
      }
    }
    float[] mapped = new float[d];
    for (int i = 0; i < d; i++) {
      double v = 0;
      for (int j = 0; j < d; j++) {
        v += m[i][j] * zE[j];
      }
      mapped[i] = (float) v;
    }
    assertClose("M z_e", zQ, mapped, 1e-5, 1e-5);
    float[] gram = new float[d * d];
    float[] want = new float[d * d];
    for (int i = 0; i < d; i++) {
      want[i * d + i] = (float) (lambda * lambda);
      for (int j = 0; j < d; j++) {
        double v = 0;
        for (int c = 0; c < d; c++) {
          v += m[c][i] * m[c][j];
        }
        gram[i * d + j] = (float) v;
      }
    }
    assertClose("M^T M", want, gram, 1e-5, 1e-5);
  }

  @Test
  void refusesMismatchedShapes() {
    try (Scope s = new Scope()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Ops.vqRotateGrad(s.zeros(3, 4), s.zeros(3, 4), s.zeros(3, 5), s.zeros(3, 4)));
      assertTrue(e.getMessage().contains("vqRotateGrad") && e.getMessage().contains("[3, 5]"), e.getMessage());
    }
  }
}
