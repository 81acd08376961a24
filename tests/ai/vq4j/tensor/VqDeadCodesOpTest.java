package ai.vq4j.tensor;

import static ai.vq4j.tensor.OpHarness.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.io.Safetensors;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * vq_restart_candidates, vq_dead_codes and adam_reset_rows against a plain Java statement of what they do, on every
 * backend.
 */
class VqDeadCodesOpTest {
  static final int ROWS = 37;
  static final int D = 5;
  static final int K = 300;  // more codes than the CUDA kernel's 256 threads

  /** The row the op documents for dead code j: SplitMix64's finaliser of key + (j + 1) * golden ratio. */
  static int row(long key, int j, int rows) {
    long z = key + (j + 1L) * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z ^= z >>> 31;
    return (int) (((z >>> 32) * rows) >>> 32);
  }

  /** The golden file of tests/golden/make_golden.py, with and without the EMA statistics. */
  @ParameterizedTest
  @EnumSource(Backend.class)
  void matchesTheGoldenFile(Backend backend) {
    Safetensors g = golden("vq_dead_codes");
    for (boolean ema : new boolean[] {false, true}) {
      try (Scope s = new Scope(backend.device())) {
        Tensor usage = s.f(g, "usage_in");
        Tensor codebook = s.f(g, "codebook_in");
        Tensor emaCount = ema ? s.f(g, "ema_count_in") : null;
        Tensor emaSum = ema ? s.f(g, "ema_sum_in") : null;
        Tensor restarted = s.intZeros(meta(g, "k"));
        Tensor dead = s.zeros(1);
        Tensor zE = s.f(g, "z_e");
        Tensor candidates = s.zerosLike(g, "codebook_in");
        Ops.vqRestartCandidates(zE, candidates, 0, zE.dim(0), Long.parseLong(g.meta("key")));
        Ops.vqDeadCodes(s.f(g, "counts"), usage, candidates, codebook, emaCount, emaSum, restarted, dead,
            metaD(g, "decay"), metaF(g, "threshold"), true);
        String what = ema ? "EMA codebook: " : "loss-trained codebook: ";
        // A copy and one double update rounded once: the stored values exactly.
        assertClose(what + "usage", g.floats("usage_out"), usage.toFloatArray(), 0, 0);
        assertClose(what + "codebook", g.floats("codebook_out"), codebook.toFloatArray(), 0, 0);
        assertArrayEquals(g.ints("restarted"), restarted.toIntArray(), what + "restarted");
        assertClose(what + "dead", g.floats("dead"), dead.toFloatArray(), 0, 0);
        if (ema) {
          assertClose(what + "ema_count", g.floats("ema_count_out"), emaCount.toFloatArray(), 0, 0);
          assertClose(what + "ema_sum", g.floats("ema_sum_out"), emaSum.toFloatArray(), 0, 0);
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void tracksUsageAndRestartsDeadCodes(Backend backend) {
    Random rng = new Random(11);
    float[] counts = new float[K];
    float[] usage = new float[K];
    for (int j = 0; j < K; j++) {
      counts[j] = j % 3 == 0 ? 0 : rng.nextInt(4);
      usage[j] = j % 7 == 0 ? 1.004f : rng.nextFloat() * 2;  // 0.99 * 1.004 + 0 < 1: dead at threshold 1
    }
    float[] z = randn(rng, ROWS * D);
    float[] book = randn(rng, K * D);
    float[] sum = randn(rng, K * D);
    float[] n = randn(rng, K);
    long key = 0x8000_1234_5678_9ABCL;  // the top bit set: unsigned on both sides
    for (boolean ema : new boolean[] {false, true}) {
      for (boolean restart : new boolean[] {false, true}) {
        try (Scope s = new Scope(backend.device())) {
          Tensor tUsage = s.f(usage, K);
          Tensor tBook = s.f(book, K, D);
          Tensor tCount = ema ? s.f(n, K) : null;
          Tensor tSum = ema ? s.f(sum, K, D) : null;
          Tensor restarted = s.intZeros(K);
          Tensor dead = s.zeros(1);
          Tensor candidates = null;
          if (restart) {
            candidates = s.zeros(K, D);
            Ops.vqRestartCandidates(s.f(z, ROWS, D), candidates, 0, ROWS, key);
          }
          Ops.vqDeadCodes(s.f(counts, K), tUsage, candidates, tBook, tCount, tSum, restarted, dead, 0.99, 1f,
              restart);

          float[] wantUsage = new float[K];
          float[] wantBook = book.clone();
          float[] wantSum = sum.clone();
          float[] wantCount = n.clone();
          int[] wantRestarted = new int[K];
          int wantDead = 0;
          for (int j = 0; j < K; j++) {
            wantUsage[j] = (float) (0.99 * usage[j] + (1 - 0.99) * counts[j]);
            if (wantUsage[j] >= 1f) {
              continue;
            }
            wantDead++;
            if (restart) {
              int r = row(key, j, ROWS);
              System.arraycopy(z, r * D, wantBook, j * D, D);
              System.arraycopy(z, r * D, wantSum, j * D, D);
              wantCount[j] = 1;
              wantUsage[j] = 1;
              wantRestarted[j] = 1;
            }
          }
          String what = backend + (ema ? " ema" : " plain") + (restart ? " restart" : "");
          assertTrue(wantDead > K / 4 && wantDead < K, what + ": the case has live and dead codes: " + wantDead);
          assertEquals(wantDead, dead.item(), what + " dead count");
          assertArrayEquals(wantUsage, tUsage.toFloatArray(), what + " usage");
          assertArrayEquals(wantRestarted, restarted.toIntArray(), what + " restarted");
          assertArrayEquals(wantBook, tBook.toFloatArray(), what + " codebook");
          if (ema) {
            assertArrayEquals(wantCount, tCount.toFloatArray(), what + " ema count");
            assertArrayEquals(wantSum, tSum.toFloatArray(), what + " ema sum");
          }
        }
      }
    }
  }

  /**
   * Ranks holding consecutive slices of a global batch: each one's candidates are the global batch's rows it
   * holds, zeros elsewhere, so their sum is the candidates of the whole batch (what data-parallel training
   * all-reduces).
   */
  @ParameterizedTest
  @EnumSource(Backend.class)
  void candidatesOfSlicesAddUpToTheWholeBatch(Backend backend) {
    Random rng = new Random(13);
    int slices = 3;
    int rows = ROWS * slices;
    float[] z = randn(rng, rows * D);
    long key = 0x8000_1234_5678_9ABCL;
    try (Scope s = new Scope(backend.device())) {
      Tensor whole = s.zeros(K, D);
      Ops.vqRestartCandidates(s.f(z, rows, D), whole, 0, rows, key);
      float[] want = new float[K * D];
      for (int j = 0; j < K; j++) {
        System.arraycopy(z, row(key, j, rows) * D, want, j * D, D);
      }
      assertArrayEquals(want, whole.toFloatArray(), backend + " one process");
      float[] sum = new float[K * D];
      for (int r = 0; r < slices; r++) {
        Tensor part = s.zeros(K, D);
        Ops.vqRestartCandidates(s.f(java.util.Arrays.copyOfRange(z, r * ROWS * D, (r + 1) * ROWS * D), ROWS, D), part,
            (long) r * ROWS, rows, key);
        float[] p = part.toFloatArray();
        for (int j = 0; j < K; j++) {
          int owner = row(key, j, rows) / ROWS;
          for (int c = 0; c < D; c++) {
            if (owner != r) {
              assertEquals(0f, p[j * D + c], backend + " slice " + r + ": code " + j + " is another slice's");
            }
            sum[j * D + c] += p[j * D + c];
          }
        }
      }
      assertArrayEquals(want, sum, backend + " the slices' sum");
    }
  }

  @Test
  void restartRowsSpreadOverTheBatch() {
    int rows = 50;
    int[] hits = new int[rows];
    for (int j = 0; j < 5000; j++) {
      int r = row(42, j, rows);
      assertTrue(r >= 0 && r < rows);
      hits[r]++;
    }
    for (int h : hits) {
      assertTrue(h > 50 && h < 150, "100 expected per row, got " + h);
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void adamResetRowsZeroesOnlyMaskedRows(Backend backend) {
    Random rng = new Random(12);
    float[] m = randn(rng, K * D);
    float[] v = randn(rng, K * D);
    int[] mask = new int[K];
    for (int j = 0; j < K; j += 3) {
      mask[j] = 1;
    }
    try (Scope s = new Scope(backend.device())) {
      Tensor tm = s.f(m, K, D);
      Tensor tv = s.f(v, K, D);
      Ops.adamResetRows(tm, tv, s.i(mask, K));
      for (int j = 0; j < K; j++) {
        if (mask[j] != 0) {
          java.util.Arrays.fill(m, j * D, (j + 1) * D, 0f);
          java.util.Arrays.fill(v, j * D, (j + 1) * D, 0f);
        }
      }
      assertArrayEquals(m, tm.toFloatArray(), backend + " m");
      assertArrayEquals(v, tv.toFloatArray(), backend + " v");
    }
  }

  @Test
  void badArgumentsAreNamed() {
    try (Scope s = new Scope()) {
      Tensor counts = s.zeros(K);
      Tensor usage = s.zeros(K);
      Tensor z = s.zeros(ROWS, D);
      Tensor book = s.zeros(K, D);
      Tensor restarted = s.intZeros(K);
      Tensor dead = s.zeros(1);
      Tensor cand = s.zeros(K, D);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ops.vqDeadCodes(s.zeros(K - 1),
          usage, cand, book, null, null, restarted, dead, 0.99, 1f, true));
      assertTrue(e.getMessage().contains("counts must be [K] with K = 300"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> Ops.vqDeadCodes(counts, usage, cand, book, s.zeros(K), null,
          restarted, dead, 0.99, 1f, true));
      assertTrue(e.getMessage().contains("emaCount and emaSum must both be given"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> Ops.vqDeadCodes(counts, usage, null, book, null, null,
          restarted, dead, 0.99, 1f, true));
      assertTrue(e.getMessage().contains("a restart needs the candidates"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> Ops.vqDeadCodes(counts, usage, s.zeros(K, D + 1),
          book, null, null, restarted, dead, 0.99, 1f, true));
      assertTrue(e.getMessage().contains("shape"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> Ops.vqRestartCandidates(s.zeros(ROWS, D + 1), cand, 0,
          ROWS, 1));
      assertTrue(e.getMessage().contains("table must be [K, D]"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> Ops.vqRestartCandidates(z, cand, 10, ROWS, 1));
      assertTrue(e.getMessage().contains("firstRow + rows <= totalRows"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> Ops.vqDeadCodes(counts, usage, cand, book, null, null,
          s.zeros(K), dead, 0.99, 1f, true));
      assertTrue(e.getMessage().contains("restarted"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> Ops.vqDeadCodes(counts, usage, cand, book, null, null,
          restarted, dead, 1.0, 1f, true));
      assertTrue(e.getMessage().contains("decay must be in [0, 1)"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> Ops.adamResetRows(s.zeros(K, D), s.zeros(K, D),
          s.intZeros(K + 1)));
      assertTrue(e.getMessage().contains("moments must be [R, W] and mask [R]"), e.getMessage());
    }
  }
}
