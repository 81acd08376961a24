package ai.vq4j.tensor;

import static ai.vq4j.tensor.OpHarness.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.vq4j.io.Safetensors;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class VqQuantizeOpTest {
  @ParameterizedTest
  @EnumSource(Backend.class)
  void matchesPyTorch(Backend backend) {
    Safetensors g = golden("vq_quantize");
    float beta = metaF(g, "beta");
    float codebookWeight = metaF(g, "codebook_weight");
    try (Scope s = new Scope(backend.device())) {
      Tensor zE = s.f(g, "z_e");
      Tensor codebook = s.f(g, "codebook");
      Tensor codes = s.intZeros(g.shape("codes"));
      Tensor zQ = s.zerosLike(g, "z_q");
      Ops.vqQuantizeForward(zE, codebook, codes, zQ);
      assertArrayEquals(g.ints("codes"), codes.toIntArray(), "codes");
      assertClose("z_q", g.floats("z_q"), zQ.toFloatArray(), 0, 0);

      Tensor loss = s.zeros(1);
      Ops.vqLoss(zE, zQ, loss);
      assertClose("loss", g.floats("loss"), loss.toFloatArray(), 1e-6, 1e-5);

      Tensor dzE = s.zerosLike(g, "z_e");
      Tensor dcodebook = s.zerosLike(g, "codebook");
      Ops.vqQuantizeBackward(zE, zQ, codes, s.f(g, "dz_q"), dzE, dcodebook, beta, codebookWeight);
      assertClose("dz_e", g.floats("dz_e"), dzE.toFloatArray(), 1e-6, 1e-5);
      assertClose("dcodebook", g.floats("dcodebook"), dcodebook.toFloatArray(), 1e-6, 1e-5);

      Tensor counts = s.zerosLike(g, "counts");
      Tensor perplexity = s.zeros(1);
      Ops.vqCodeSums(codes, null, counts, null);
      Ops.vqStats(counts, perplexity);
      assertClose("counts", g.floats("counts"), counts.toFloatArray(), 0, 0);
      assertClose("perplexity", g.floats("perplexity"), perplexity.toFloatArray(), 1e-6, 1e-5);
    }
  }

  @Test
  void tiesGoToTheLowestIndex() {
    // Codes 1 and 3 are the same vector, and (0, 0) is equally far from codes 0 and 2.
    float[] codebook = {1, 0, 2, 2, -1, 0, 2, 2};
    float[] zE = {2, 2, 0, 0};
    try (Scope s = new Scope()) {
      Tensor codes = s.intZeros(2);
      Ops.vqQuantizeForward(s.f(zE, 2, 2), s.f(codebook, 4, 2), codes, s.zeros(2, 2));
      assertArrayEquals(new int[] {1, 0}, codes.toIntArray());
    }
  }

  @Test
  void quantizerLossGradientsMatchFiniteDifferences() {
    Random rng = new Random(51);
    int rows = 12;
    int d = 4;
    int k = 6;
    float[] zE = randn(rng, rows * d);
    float[] codebook = randn(rng, k * d);
    float beta = 0.25f;
    float[] zQ;
    int[] codes;
    float[] dzE;
    float[] dcodebook;
    try (Scope s = new Scope()) {
      Tensor codesT = s.intZeros(rows);
      Tensor zQT = s.zeros(rows, d);
      Tensor zET = s.f(zE, rows, d);
      Ops.vqQuantizeForward(zET, s.f(codebook, k, d), codesT, zQT);
      Tensor dzET = s.zeros(rows, d);
      Tensor dcbT = s.zeros(k, d);
      // No reconstruction gradient: what remains is exactly the two quantizer terms.
      Ops.vqQuantizeBackward(zET, zQT, codesT, s.zeros(rows, d), dzET, dcbT, beta, 1f);
      zQ = zQT.toFloatArray();
      codes = codesT.toIntArray();
      dzE = dzET.toFloatArray();
      dcodebook = dcbT.toFloatArray();
    }
    // Commitment: beta * mean (z_e - sg[z_q])^2, z_q held fixed.
    checkGradient("commitment dz_e", zE, dzE, zv -> beta * vqLoss(zv, zQ, rows, d), 1e-2, 1e-5, 1e-2, rows * d);
    // Codebook: mean (sg[z_e] - e[codes])^2 with the assignment held fixed.
    checkGradient("codebook dcodebook", codebook, dcodebook, cv -> {
      float[] gathered = new float[rows * d];
      for (int r = 0; r < rows; r++) {
        System.arraycopy(cv, codes[r] * d, gathered, r * d, d);
      }
      return vqLoss(zE, gathered, rows, d);
    }, 1e-2, 1e-5, 1e-2, k * d);
  }

  @Test
  void straightThroughPassesTheDecoderGradient() {
    Random rng = new Random(52);
    float[] zE = randn(rng, 20);
    float[] dzQ = randn(rng, 20);
    try (Scope s = new Scope()) {
      Tensor zET = s.f(zE, 5, 4);
      Tensor codes = s.intZeros(5);
      Tensor zQ = s.zeros(5, 4);
      Ops.vqQuantizeForward(zET, s.f(randn(rng, 12), 3, 4), codes, zQ);
      Tensor dzE = s.zeros(5, 4);
      Ops.vqQuantizeBackward(zET, zQ, codes, s.f(dzQ, 5, 4), dzE, null, 0f, 0f);
      assertClose("straight-through", dzQ, dzE.toFloatArray(), 0, 0);
    }
  }

  @Test
  void perplexityOfUniformUseIsK() {
    try (Scope s = new Scope()) {
      Tensor counts = s.zeros(4);
      Tensor perplexity = s.zeros(1);
      Ops.vqCodeSums(s.i(new int[] {0, 1, 2, 3, 3, 2, 1, 0}, 8), null, counts, null);
      Ops.vqStats(counts, perplexity);
      assertEquals(4f, perplexity.item(), 1e-5f);
      Ops.vqCodeSums(s.i(new int[] {2, 2, 2, 2, 2, 2, 2, 2}, 8), null, counts, null);
      Ops.vqStats(counts, perplexity);
      assertEquals(1f, perplexity.item(), 1e-6f);
      // Counts summed over data-parallel ranks need not be integers of one batch: the frequencies are what count.
      Ops.vqStats(s.f(new float[] {6, 6, 6, 6}, 4), perplexity);
      assertEquals(4f, perplexity.item(), 1e-5f);
    }
  }

  /** CUDA's fused distance+argmin against the CPU reference, on odd shapes; skipped without a GPU. */
  @Test
  void cudaMatchesCpu() {
    assumeTrue(gpuPresent(), "no CUDA GPU: the CUDA-vs-CPU comparison needs one");
    Device gpu = Device.cuda(0);
    Random rng = new Random(53);
    int[][] shapes = {{1, 1, 1}, {37, 5, 3}, {1000, 64, 512}, {513, 63, 257}, {4096, 64, 1000}};
    for (int[] sh : shapes) {
      int rows = sh[0];
      int d = sh[1];
      int k = sh[2];
      float[] zE = randn(rng, rows * d);
      float[] codebook = randn(rng, k * d);
      int[] cpuCodes;
      try (Scope s = new Scope()) {
        Tensor codes = s.intZeros(rows);
        Ops.vqQuantizeForward(s.f(zE, rows, d), s.f(codebook, k, d), codes, s.zeros(rows, d));
        cpuCodes = codes.toIntArray();
      }
      try (Scope s = new Scope(gpu)) {
        Tensor codes = s.intZeros(rows);
        Tensor zQ = s.zeros(rows, d);
        Ops.vqQuantizeForward(s.f(zE, rows, d), s.f(codebook, k, d), codes, zQ);
        int[] gpuCodes = codes.toIntArray();
        // Float32 distances summed in another order may flip near-ties: accept a flip only when both codes
        // are equally near to float32 rounding.
        for (int r = 0; r < rows; r++) {
          if (gpuCodes[r] != cpuCodes[r]) {
            double a = dist(zE, r, codebook, cpuCodes[r], d);
            double b = dist(zE, r, codebook, gpuCodes[r], d);
            assertEquals(a, b, 1e-4 * Math.max(1, a), "row " + r + " of " + rows + "x" + d + " k=" + k);
          }
        }
        float[] zQv = zQ.toFloatArray();
        for (int r = 0; r < rows; r++) {
          for (int j = 0; j < d; j++) {
            assertEquals(codebook[gpuCodes[r] * d + j], zQv[r * d + j], 0f);
          }
        }
      }
    }
  }

  private static double dist(float[] z, int r, float[] e, int j, int d) {
    double s = 0;
    for (int i = 0; i < d; i++) {
      double t = (double) z[r * d + i] - e[j * d + i];
      s += t * t;
    }
    return s;
  }

  private static double vqLoss(float[] zE, float[] zQ, int rows, int d) {
    try (Scope s = new Scope()) {
      Tensor loss = s.zeros(1);
      Ops.vqLoss(s.f(zE, rows, d), s.f(zQ, rows, d), loss);
      return loss.item();
    }
  }
}
