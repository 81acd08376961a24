package ai.vq4j.tensor;

import static ai.vq4j.tensor.OpHarness.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Ring 2 of the design: every CUDA kernel of the non-convolution ops against the CPU reference, on random
 * inputs and edge shapes (one row, K = 1, 7, 513 — not a multiple of any block or tile —, D = 1, 3, 64,
 * rows = 1, 1000, 32·8·8), plus ties in the argmin, out-of-range indices and the determinism of every
 * device-side sum. Skipped, visibly, without a CUDA device.
 *
 * <p>The shapes (element counts, rows, K, D) and the tolerances, a bound per op family on the normalised
 * mean squared error against the CPU reference with the reason for each, come from the op case list
 * {@code tests/ops/cases.txt} ({@link OpCases}), which the native harness runs on every backend too.
 */
class CudaOpsParityTest {
  private static final int[] ROWS = distinct("vq_quantize", "rows");
  private static final int[] KS = distinct("vq_quantize", "k");
  private static final int[] DS = distinct("vq_quantize", "d");
  /** Element counts: tails of every width, and one beyond the 8192 x 256 grid (the grid-stride loop). */
  private static final int[] COUNTS = distinct("elementwise", "count");

  private static int[] distinct(String family, String param) {
    return OpCases.rows(family).stream().mapToInt(r -> r.i(param)).distinct().toArray();
  }

  /** The family's nmse bound from the case list. */
  private static double nmse(String family) {
    return OpCases.tolerance(family).nmse();
  }

  private Device gpu;

  @BeforeEach
  void needsAGpu() {
    Assumptions.assumeTrue(Device.cudaDeviceCount() > 0, "no CUDA device");
    gpu = Device.cuda(0);
  }

  // ------------------------------------------------------------------ plumbing

  /** The op's outputs (copied to the host) on the CPU and on the GPU: [backend][output][element]. */
  private float[][][] onBoth(Function<Scope, float[][]> op) {
    float[][] cpu;
    float[][] cuda;
    try (Scope s = new Scope(Device.CPU)) {
      cpu = op.apply(s);
    }
    try (Scope s = new Scope(gpu)) {
      cuda = op.apply(s);
    }
    return new float[][][] {cpu, cuda};
  }

  private static void close(String what, float[][][] both, String family) {
    for (int i = 0; i < both[0].length; i++) {
      OpCases.assertNmse(what + " output " + i + " (CUDA vs CPU)", both[0][i], both[1][i], nmse(family));
    }
  }

  private static String shape(String op, int rows, int k, int d) {
    return op + " rows=" + rows + " k=" + k + " d=" + d;
  }

  private static int[] uniformIds(Random rng, int rows, int k) {
    int[] ids = new int[rows];
    for (int r = 0; r < rows; r++) {
      ids[r] = rng.nextInt(k);
    }
    return ids;
  }

  /** Uniform ids, and a collapsed assignment (every row on the last id), for each shape. */
  private static List<int[]> idPatterns(Random rng, int rows, int k) {
    List<int[]> out = new ArrayList<>();
    out.add(uniformIds(rng, rows, k));
    int[] collapsed = new int[rows];
    Arrays.fill(collapsed, k - 1);
    out.add(collapsed);
    return out;
  }

  private static float[] scaled(float[] x, float by) {
    float[] out = x.clone();
    for (int i = 0; i < out.length; i++) {
      out[i] *= by;
    }
    return out;
  }

  // ------------------------------------------------------------------ elementwise

  @Test
  void reluForwardBackwardAndInPlace() {
    Random rng = new Random(101);
    for (int n : COUNTS) {
      float[] x = randn(rng, n);
      x[0] = 0f; // the kink: relu(0) = 0 and its gradient is 0 on both backends
      float[] dy = randn(rng, n);
      float[][][] both = onBoth(s -> {
        Tensor y = s.zeros(n);
        Ops.reluForward(s.f(x, n), y);
        Tensor dx = s.zeros(n);
        Ops.reluBackward(y, s.f(dy, n), dx);
        Tensor inPlace = s.f(x, n);
        Ops.reluForward(inPlace, inPlace);
        return new float[][] {y.toFloatArray(), dx.toFloatArray(), inPlace.toFloatArray()};
      });
      close("relu n=" + n, both, "elementwise");
    }
  }

  @Test
  void addAndInPlace() {
    Random rng = new Random(102);
    for (int n : COUNTS) {
      float[] a = randn(rng, n);
      float[] b = randn(rng, n);
      float[][][] both = onBoth(s -> {
        Tensor y = s.zeros(n);
        Ops.add(s.f(a, n), s.f(b, n), y);
        Tensor inPlace = s.f(a, n);
        Ops.add(inPlace, s.f(b, n), inPlace);
        return new float[][] {y.toFloatArray(), inPlace.toFloatArray()};
      });
      close("add n=" + n, both, "elementwise");
    }
  }

  // ------------------------------------------------------------------ gated activation

  @Test
  void gatedActivationForwardBackward() {
    Random rng = new Random(103);
    for (int rows : ROWS) {
      for (int c : DS) {
        // Scaled by 4 so tanh and sigmoid also saturate (and a few inputs are far out: stability).
        float[] x = scaled(randn(rng, rows * 2 * c), 4f);
        x[0] = 60f;
        x[x.length - 1] = -60f;
        float[] dy = randn(rng, rows * c);
        float[][][] both = onBoth(s -> {
          Tensor xt = s.f(x, rows, 2 * c);
          Tensor y = s.zeros(rows, c);
          Ops.gatedActivationForward(xt, y);
          Tensor dx = s.zeros(rows, 2 * c);
          Ops.gatedActivationBackward(xt, s.f(dy, rows, c), dx);
          return new float[][] {y.toFloatArray(), dx.toFloatArray()};
        });
        close("gated rows=" + rows + " c=" + c, both, "gated_activation");
      }
    }
  }

  // ------------------------------------------------------------------ losses

  @Test
  void mseForwardBackward() {
    Random rng = new Random(104);
    for (int n : COUNTS) {
      float[] pred = randn(rng, n);
      float[] target = randn(rng, n);
      float[][][] both = onBoth(s -> {
        Tensor p = s.f(pred, n);
        Tensor t = s.f(target, n);
        Tensor loss = s.zeros(1);
        Ops.mseForward(p, t, loss);
        Tensor dpred = s.zeros(n);
        Ops.mseBackward(p, t, dpred, 0.7f);
        return new float[][] {loss.toFloatArray(), dpred.toFloatArray()};
      });
      OpCases.assertNmse("mse loss n=" + n, both[0][0], both[1][0], nmse("mse"));
      OpCases.assertNmse("mse dpred n=" + n, both[0][1], both[1][1], nmse("mse"));
    }
  }

  @Test
  void softmaxCrossEntropyForwardBackward() {
    Random rng = new Random(105);
    for (int rows : ROWS) {
      for (int k : KS) {
        float[] logits = scaled(randn(rng, rows * k), 3f);
        // One row far out: without the max shift exp would overflow to inf.
        for (int j = 0; j < k; j++) {
          logits[j] += 500f;
        }
        int[] targets = uniformIds(rng, rows, k);
        float[][][] both = onBoth(s -> {
          Tensor l = s.f(logits, rows, k);
          Tensor t = s.i(targets, rows);
          Tensor loss = s.zeros(1);
          Tensor nll = s.zeros(rows);
          Ops.softmaxXentForward(l, t, loss, nll);
          Tensor lossOnly = s.zeros(1);
          Ops.softmaxXentForward(l, t, lossOnly, null);
          Tensor dlogits = s.zeros(rows, k);
          Ops.softmaxXentBackward(l, t, dlogits, 1.3f);
          return new float[][] {loss.toFloatArray(), lossOnly.toFloatArray(), nll.toFloatArray(),
              dlogits.toFloatArray()};
        });
        String what = "xent rows=" + rows + " k=" + k;
        OpCases.assertNmse(what + " loss", both[0][0], both[1][0], nmse("softmax_xent"));
        OpCases.assertNmse(what + " loss without nll", both[0][1], both[1][1], nmse("softmax_xent"));
        assertArrayEquals(both[1][0], both[1][1], what + ": the loss must not depend on nll being asked for");
        OpCases.assertNmse(what + " nll", both[0][2], both[1][2], nmse("softmax_xent"));
        OpCases.assertNmse(what + " dlogits", both[0][3], both[1][3], nmse("softmax_xent"));
      }
    }
  }

  // ------------------------------------------------------------------ embedding

  @Test
  void embeddingForwardBackward() {
    Random rng = new Random(106);
    for (int rows : ROWS) {
      for (int k : KS) {
        for (int d : DS) {
          float[] table = randn(rng, k * d);
          float[] dy = randn(rng, rows * d);
          for (int[] ids : idPatterns(rng, rows, k)) {
            float[][][] both = onBoth(s -> {
              Tensor idT = s.i(ids, rows);
              Tensor y = s.zeros(rows, d);
              Ops.embeddingForward(s.f(table, k, d), idT, y);
              Tensor dtable = s.f(randn(new Random(1), k * d), k, d); // overwritten, never accumulated
              Ops.embeddingBackward(idT, s.f(dy, rows, d), dtable);
              return new float[][] {y.toFloatArray(), dtable.toFloatArray()};
            });
            String what = shape("embedding", rows, k, d) + (ids[0] == k - 1 && ids[rows - 1] == k - 1 ? " collapsed" : "");
            OpCases.assertNmse(what + " y", both[0][0], both[1][0], nmse("embedding"));
            OpCases.assertNmse(what + " dtable", both[0][1], both[1][1], nmse("embedding"));
          }
        }
      }
    }
  }

  // ------------------------------------------------------------------ adam

  @Test
  void adamSteps() {
    Random rng = new Random(107);
    for (int n : COUNTS) {
      for (double wd : new double[] {0, 0.01}) {
        float[] param0 = randn(rng, n);
        float[][] grads = {randn(rng, n), randn(rng, n), scaled(randn(rng, n), 1e-3f)};
        float[][][] both = onBoth(s -> {
          Tensor p = s.f(param0, n);
          Tensor m = s.zeros(n);
          Tensor v = s.zeros(n);
          for (int t = 1; t <= grads.length; t++) {
            Ops.adamStep(p, s.f(grads[t - 1], n), m, v, 1e-3, 0.9, 0.999, 1e-8, wd, t, false);
          }
          return new float[][] {p.toFloatArray(), m.toFloatArray(), v.toFloatArray()};
        });
        close("adam n=" + n + " wd=" + wd, both, "adam");
      }
    }
  }

  // ------------------------------------------------------------------ vq_quantize

  @Test
  void quantizeForwardMatchesCpuOnEdgeShapes() {
    Random rng = new Random(108);
    for (int rows : ROWS) {
      for (int k : KS) {
        for (int d : DS) {
          float[] zE = randn(rng, rows * d);
          float[] codebook = randn(rng, k * d);
          int[] cpuCodes;
          try (Scope s = new Scope(Device.CPU)) {
            Tensor codes = s.intZeros(rows);
            Ops.vqQuantizeForward(s.f(zE, rows, d), s.f(codebook, k, d), codes, s.zeros(rows, d));
            cpuCodes = codes.toIntArray();
          }
          int[] gpuCodes;
          float[] gpuZq;
          try (Scope s = new Scope(gpu)) {
            Tensor codes = s.intZeros(rows);
            Tensor zQ = s.zeros(rows, d);
            Ops.vqQuantizeForward(s.f(zE, rows, d), s.f(codebook, k, d), codes, zQ);
            gpuCodes = codes.toIntArray();
            gpuZq = zQ.toFloatArray();
          }
          String what = shape("vqQuantizeForward", rows, k, d);
          for (int r = 0; r < rows; r++) {
            assertTrue(gpuCodes[r] >= 0 && gpuCodes[r] < k, what + ": code out of range at row " + r);
            if (gpuCodes[r] != cpuCodes[r]) {
              // Float32 distances summed in another order may flip a near-tie: accept a flip only when both
              // codes are equally near to float32 rounding.
              double a = dist(zE, r, codebook, cpuCodes[r], d);
              double b = dist(zE, r, codebook, gpuCodes[r], d);
              assertEquals(a, b, 1e-4 * Math.max(1, a), what + ": row " + r + " CPU code " + cpuCodes[r]
                  + " GPU code " + gpuCodes[r]);
            }
            for (int c = 0; c < d; c++) {
              assertEquals(codebook[gpuCodes[r] * d + c], gpuZq[r * d + c], 0f, what + ": z_q is not e[code]");
            }
          }
        }
      }
    }
  }

  @Test
  void quantizeTiesGoToTheLowestIndexOnTheGpu() {
    Random rng = new Random(109);
    int k = 200;
    int d = 8;
    float[] codebook = randn(rng, k * d);
    float[] v = randn(rng, d);
    // The same vector at codes in one thread's slice (3, 19), another tile (70) and the last code (199).
    for (int j : new int[] {3, 19, 70, 199}) {
      System.arraycopy(v, 0, codebook, j * d, d);
    }
    System.arraycopy(codebook, 80 * d, codebook, 150 * d, d);
    float[] noisy = v.clone();
    for (int c = 0; c < d; c++) {
      noisy[c] += 1e-3f * (float) rng.nextGaussian();
    }
    int rows = 3;
    float[] zE = new float[rows * d];
    System.arraycopy(v, 0, zE, 0, d);
    System.arraycopy(noisy, 0, zE, d, d);
    System.arraycopy(codebook, 150 * d, zE, 2 * d, d);
    int[] expected = {3, 3, 80};
    assertArrayEquals(expected, codesOn(Device.CPU, zE, codebook, rows, k, d), "CPU ties");
    assertArrayEquals(expected, codesOn(gpu, zE, codebook, rows, k, d), "CUDA ties");

    // Every code the same vector: every row gets code 0, for K = 513 (a partial last tile) and D = 64.
    int kk = 513;
    int dd = 64;
    float[] row = randn(rng, dd);
    float[] flat = new float[kk * dd];
    for (int j = 0; j < kk; j++) {
      System.arraycopy(row, 0, flat, j * dd, dd);
    }
    int rr = 1000;
    int[] codes = codesOn(gpu, randn(rng, rr * dd), flat, rr, kk, dd);
    assertArrayEquals(new int[rr], codes, "a codebook of identical rows: every row takes code 0");

    // D = 1, K = 7, duplicates at 2 and 6.
    float[] small = {0.5f, -1f, 2f, 3f, -4f, 5f, 2f};
    assertArrayEquals(new int[] {2, 2, 0}, codesOn(gpu, new float[] {2f, 2.1f, 0.5f}, small, 3, 7, 1),
        "D = 1 ties");
  }

  private static int[] codesOn(Device device, float[] zE, float[] codebook, int rows, int k, int d) {
    try (Scope s = new Scope(device)) {
      Tensor codes = s.intZeros(rows);
      Ops.vqQuantizeForward(s.f(zE, rows, d), s.f(codebook, k, d), codes, s.zeros(rows, d));
      return codes.toIntArray();
    }
  }

  @Test
  void quantizerLossGradientsAndStats() {
    Random rng = new Random(110);
    for (int rows : ROWS) {
      for (int k : KS) {
        for (int d : DS) {
          float[] zE = randn(rng, rows * d);
          float[] codebook = randn(rng, k * d);
          float[] dzQ = randn(rng, rows * d);
          for (int[] codes : idPatterns(rng, rows, k)) {
            // z_q = e[codes], the forward's output for these codes.
            float[] zQ = new float[rows * d];
            for (int r = 0; r < rows; r++) {
              System.arraycopy(codebook, codes[r] * d, zQ, r * d, d);
            }
            float[][][] both = onBoth(s -> {
              Tensor zEt = s.f(zE, rows, d);
              Tensor zQt = s.f(zQ, rows, d);
              Tensor codeT = s.i(codes, rows);
              Tensor loss = s.zeros(1);
              Ops.vqLoss(zEt, zQt, loss);
              Tensor dzE = s.zeros(rows, d);
              Tensor dcb = s.f(randn(new Random(2), k * d), k, d); // overwritten, never accumulated
              Ops.vqQuantizeBackward(zEt, zQt, codeT, s.f(dzQ, rows, d), dzE, dcb, 0.25f, 1.5f);
              Tensor dzEOnly = s.zeros(rows, d);
              Ops.vqQuantizeBackward(zEt, zQt, codeT, s.f(dzQ, rows, d), dzEOnly, null, 0.25f, 1.5f);
              Tensor counts = s.zeros(k);
              Tensor perplexity = s.zeros(1);
              Ops.vqCodeSums(codeT, null, counts, null);
              Ops.vqStats(counts, perplexity);
              return new float[][] {loss.toFloatArray(), dzE.toFloatArray(), dcb.toFloatArray(),
                  dzEOnly.toFloatArray(), counts.toFloatArray(), perplexity.toFloatArray()};
            });
            String what = shape("vq", rows, k, d) + (codes[0] == k - 1 && codes[rows - 1] == k - 1 ? " collapsed" : "");
            OpCases.assertNmse(what + " loss", both[0][0], both[1][0], nmse("vq_quantize"));
            OpCases.assertNmse(what + " dz_e", both[0][1], both[1][1], nmse("vq_quantize"));
            OpCases.assertNmse(what + " dcodebook", both[0][2], both[1][2], nmse("vq_quantize"));
            OpCases.assertNmse(what + " dz_e without dcodebook", both[0][3], both[1][3], nmse("vq_quantize"));
            OpCases.assertNmse(what + " counts", both[0][4], both[1][4], nmse("vq_quantize"));
            OpCases.assertNmse(what + " perplexity", both[0][5], both[1][5], nmse("vq_quantize"));
          }
        }
      }
    }
  }

  // ------------------------------------------------------------------ vq_ema_update

  @Test
  void emaUpdateOverSeveralSteps() {
    Random rng = new Random(111);
    for (int rows : ROWS) {
      for (int k : KS) {
        for (int d : DS) {
          float[] codebook0 = randn(rng, k * d);
          float[] count0 = new float[k];
          for (int j = 0; j < k; j++) {
            count0[j] = rng.nextInt(3); // some codes start unused: the Laplace smoothing's case
          }
          float[][] zEs = {randn(rng, rows * d), randn(rng, rows * d), randn(rng, rows * d)};
          List<int[]> patterns = idPatterns(rng, rows, k);
          int[][] codes = {patterns.get(0), patterns.get(1), uniformIds(rng, rows, k)};
          float[][][] both = onBoth(s -> {
            Tensor emaCount = s.f(count0, k);
            Tensor emaSum = s.f(codebook0, k, d);
            Tensor codebook = s.f(codebook0, k, d);
            Tensor counts = s.zeros(k);
            Tensor sums = s.zeros(k, d);
            for (int step = 0; step < zEs.length; step++) {
              Ops.vqCodeSums(s.i(codes[step], rows), s.f(zEs[step], rows, d), counts, sums);
              Ops.vqEmaUpdate(counts, sums, emaCount, emaSum, codebook, 0.99f, 1e-5f);
            }
            return new float[][] {emaCount.toFloatArray(), emaSum.toFloatArray(), codebook.toFloatArray()};
          });
          close(shape("vqEmaUpdate", rows, k, d), both, "vq_ema_update");
        }
      }
    }
  }

  // ------------------------------------------------------------------ index errors

  /**
   * The native message of a CPU failure: without the Java prefix ("op failed (status n): ") and without its
   * "(file:line)" suffix, i.e. "vq4j_op: array[row] = value is outside [0, k)".
   */
  private static String nativeBody(Vq4jException e) {
    String m = e.getMessage();
    return m.substring(m.indexOf("): ") + 3).replaceAll("\\s*\\([^()]*:\\d+\\)$", "");
  }

  /**
   * The op fails on the CPU at the call; on CUDA the call returns, and the next synchronisation (here
   * {@link Ops#sync}) throws with the CPU's native message, which names the op, as its start. The report
   * clears the device: the next synchronisation and the next op work.
   */
  private void failsAlike(String op, Consumer<Scope> call) {
    Vq4jException onCpu;
    Vq4jException onGpu;
    try (Scope s = new Scope(Device.CPU)) {
      onCpu = assertThrows(Vq4jException.class, () -> call.accept(s), op + " on the CPU");
    }
    try (Scope s = new Scope(gpu)) {
      call.accept(s);
      onGpu = assertThrows(Vq4jException.class, () -> Ops.sync(gpu), op + " on CUDA, at the sync");
    }
    assertEquals(op, onCpu.op());
    assertEquals("sync", onGpu.op());
    assertEquals(onCpu.status(), onGpu.status(), op + " status");
    String expected = nativeBody(onCpu) + " (found on the device, reported at this synchronisation)";
    assertTrue(onGpu.getMessage().contains(expected),
        op + ": CUDA's message must carry the CPU's: expected '" + expected + "' in '" + onGpu.getMessage() + "'");
    assertTrue(onGpu.getMessage().contains("is outside [0, "), onGpu.getMessage());
    Ops.sync(gpu);
    try (Scope s = new Scope(gpu)) {
      Tensor x = s.f(new float[] {-1, 2}, 2);
      Ops.reluForward(x, x);
      assertClose(op + ": GPU after the failure", new float[] {0, 2}, x.toFloatArray(), 0, 0);
    }
  }

  @Test
  void outOfRangeIndicesFailLikeTheCpuAndNameTheOp() {
    int rows = 1000;
    int k = 7;
    int d = 3;
    int[] tooBig = new int[rows];
    tooBig[rows - 1] = k; // only the last row is bad
    int[] negative = new int[rows];
    negative[rows / 2] = -1;
    negative[rows - 1] = k + 5; // the first bad row is the one reported
    for (int[] bad : new int[][] {tooBig, negative}) {
      failsAlike("embeddingForward", s -> Ops.embeddingForward(s.zeros(k, d), s.i(bad, rows), s.zeros(rows, d)));
      failsAlike("embeddingBackward", s -> Ops.embeddingBackward(s.i(bad, rows), s.zeros(rows, d), s.zeros(k, d)));
      failsAlike("softmaxXentForward", s -> Ops.softmaxXentForward(s.zeros(rows, k), s.i(bad, rows), s.zeros(1), null));
      failsAlike("softmaxXentBackward",
          s -> Ops.softmaxXentBackward(s.zeros(rows, k), s.i(bad, rows), s.zeros(rows, k), 1f));
      failsAlike("vqQuantizeBackward", s -> Ops.vqQuantizeBackward(s.zeros(rows, d), s.zeros(rows, d),
          s.i(bad, rows), s.zeros(rows, d), s.zeros(rows, d), s.zeros(k, d), 0.25f, 1f));
      failsAlike("vqCodeSums", s -> Ops.vqCodeSums(s.i(bad, rows), null, s.zeros(k), null));
      failsAlike("vqCodeSums", s -> Ops.vqCodeSums(s.i(bad, rows), s.zeros(rows, d), s.zeros(k), s.zeros(k, d)));
    }
  }

  @Test
  void aDeviceIndexErrorSurfacesAtTheNextReadAndTheFirstOneWins() {
    int rows = 64;
    int k = 7;
    int d = 3;
    int[] bad = new int[rows];
    bad[5] = -3;
    int[] alsoBad = new int[rows];
    alsoBad[0] = k;
    try (Scope s = new Scope(gpu)) {
      Tensor y = s.zeros(rows, d);
      Ops.embeddingForward(s.f(randn(new Random(114), k * d), k, d), s.i(bad, rows), y);
      Ops.vqCodeSums(s.i(alsoBad, rows), null, s.zeros(k), null);
      Vq4jException e = assertThrows(Vq4jException.class, y::toFloatArray, "the read reports");
      assertEquals("copyTo", e.op());
      assertTrue(e.getMessage().contains("vq4j_embedding_fwd: ids[5] = -3 is outside [0, 7)"), e.getMessage());
      float[] row5 = Arrays.copyOfRange(y.toFloatArray(), 5 * d, 6 * d);
      assertClose("the bad row's output is zeros", new float[d], row5, 0, 0);
      Ops.sync(gpu);
    }
  }

  // ------------------------------------------------------------------ determinism

  @Test
  void everyDeviceSideSumGivesTheSameBitsTwice() {
    Random rng = new Random(113);
    int rows = 32 * 8 * 8;
    int k = 513;
    int d = 64;
    float[] zE = randn(rng, rows * d);
    float[] zQ = randn(rng, rows * d);
    float[] logits = randn(rng, rows * k);
    int[] codes = uniformIds(rng, rows, k);
    float[][] first = null;
    for (int run = 0; run < 3; run++) {
      float[][] now;
      try (Scope s = new Scope(gpu)) {
        Tensor zEt = s.f(zE, rows, d);
        Tensor zQt = s.f(zQ, rows, d);
        Tensor codeT = s.i(codes, rows);
        Tensor mse = s.zeros(1);
        Ops.mseForward(zEt, zQt, mse);
        Tensor xent = s.zeros(1);
        Ops.softmaxXentForward(s.f(logits, rows, k), codeT, xent, null);
        Tensor dtable = s.zeros(k, d);
        Ops.embeddingBackward(codeT, zEt, dtable);
        Tensor dcb = s.zeros(k, d);
        Ops.vqQuantizeBackward(zEt, zQt, codeT, zQt, s.zeros(rows, d), dcb, 0.25f, 1f);
        Tensor counts = s.zeros(k);
        Tensor perplexity = s.zeros(1);
        Tensor sums = s.zeros(k, d);
        Ops.vqCodeSums(codeT, zEt, counts, sums);
        Ops.vqStats(counts, perplexity);
        Tensor emaCount = s.zeros(k);
        Tensor emaSum = s.zeros(k, d);
        Tensor codebook = s.zeros(k, d);
        Ops.vqEmaUpdate(counts, sums, emaCount, emaSum, codebook, 0.9f, 1e-5f);
        now = new float[][] {mse.toFloatArray(), xent.toFloatArray(), dtable.toFloatArray(), dcb.toFloatArray(),
            counts.toFloatArray(), perplexity.toFloatArray(), sums.toFloatArray(), emaCount.toFloatArray(), emaSum.toFloatArray(),
            codebook.toFloatArray()};
      }
      if (first == null) {
        first = now;
      } else {
        for (int i = 0; i < now.length; i++) {
          assertArrayEquals(first[i], now[i], "output " + i + " of run " + run);
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
}
