package ai.vq4j.model;

import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import java.util.Arrays;
import java.util.Comparator;

/**
 * Ancestral sampling of code grids from a {@link TransformerPrior}, position by position in raster order. The
 * logits at each position, divided by the temperature, are cut to the topK most likely codes (0: all) and then
 * to the smallest set whose probability reaches topP (1: all), renormalised, and drawn from with one uniform
 * from the seeded generator (positions outer, sequences inner).
 *
 * <p>{@link Method#CACHED} runs one position per step through the blocks' key/value caches;
 * {@link Method#RECOMPUTE} runs the whole prefix again at every step. Both give the same codes.
 */
public final class TransformerSampler {
  /** How the prefix is evaluated at each step. */
  public enum Method {
    CACHED,
    RECOMPUTE
  }

  private final TransformerPrior prior;

  public TransformerSampler(TransformerPrior prior) {
    this.prior = prior;
  }

  /**
   * Codes int32 in host memory, [n, gridSize, gridSize] flattened; labels: one per sequence for a conditioned
   * prior, null otherwise.
   */
  public int[] sampleCodes(int n, int[] labels, double temperature, int topK, double topP, long seed,
      Method method) {
    TransformerConfig c = prior.config();
    if (n < 1) {
      throw new IllegalArgumentException("sample: n must be >= 1, got " + n);
    }
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("sample: temperature must be positive and finite, got " + temperature);
    }
    if (topK < 0) {
      throw new IllegalArgumentException("sample: topK must be >= 0 (0: no cut), got " + topK);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("sample: topP must be in (0, 1], got " + topP);
    }
    int[] first = prior.firstTokens("sample", labels, n);
    int t = c.length();
    int k = c.numCodes;
    int[] codes = new int[n * t];
    Rng rng = new Rng(seed);
    double[] scratch = new double[k];
    Integer[] order = new Integer[k];
    int[] ids = new int[method == Method.CACHED ? n : n * t];
    try (Tensor idT = Tensor.ofInts(prior.device(), ids, n, method == Method.CACHED ? 1 : t)) {
      for (int pos = 0; pos < t; pos++) {
        float[] logits;
        int stride;
        if (method == Method.CACHED) {
          for (int i = 0; i < n; i++) {
            ids[i] = pos == 0 ? first[i] : codes[i * t + pos - 1];
          }
          idT.copyFrom(ids);
          logits = prior.step(idT, pos).toFloatArray();
          stride = k;
        } else {
          for (int i = 0; i < n; i++) {
            ids[i * t] = first[i];
            System.arraycopy(codes, i * t, ids, i * t + 1, t - 1);
          }
          idT.copyFrom(ids);
          logits = prior.forwardTokens(idT).toFloatArray();
          stride = t * k;
        }
        int at = method == Method.CACHED ? 0 : pos * k;
        for (int i = 0; i < n; i++) {
          codes[i * t + pos] = draw(logits, i * stride + at, k, temperature, topK, topP, rng, scratch, order);
        }
      }
    }
    return codes;
  }

  /** One code from logits[offset, offset + k) under temperature, top-k and top-p. */
  static int draw(float[] logits, int offset, int k, double temperature, int topK, double topP, Rng rng,
      double[] p, Integer[] order) {
    for (int j = 0; j < k; j++) {
      order[j] = j;
    }
    // Most likely first, ties to the lower code: the cuts below keep a prefix of this order.
    Arrays.sort(order, Comparator.comparingDouble((Integer j) -> -logits[offset + j]).thenComparingInt(j -> j));
    int keep = topK > 0 ? Math.min(topK, k) : k;
    double max = logits[offset + order[0]] / temperature;
    double total = 0;
    for (int r = 0; r < keep; r++) {
      int j = order[r];
      p[j] = Math.exp(logits[offset + j] / temperature - max);
      total += p[j];
    }
    if (topP < 1) {
      double cum = 0;
      int r = 0;
      while (r < keep) {
        cum += p[order[r]];
        r++;
        if (cum >= topP * total) {
          break;
        }
      }
      keep = r;
      total = cum;
    }
    double u = rng.nextDouble() * total;
    double cum = 0;
    for (int r = 0; r < keep; r++) {
      cum += p[order[r]];
      if (u < cum) {
        return order[r];
      }
    }
    return order[keep - 1];
  }
}
