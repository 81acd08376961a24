package ai.vq4j.model;

import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;

/**
 * Ancestral sampling of code grids from a {@link TransformerPrior}, position by position in raster order: the
 * logits at each position give one code per sequence by {@link Sampling#draw} with the seeded generator
 * (positions outer, sequences inner).
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
  public int[] sampleCodes(int n, int[] labels, Sampling sampling, long seed, Method method) {
    TransformerConfig c = prior.config();
    if (n < 1) {
      throw new IllegalArgumentException("sample: n must be >= 1, got " + n);
    }
    int[] first = prior.firstTokens("sample", labels, n);
    int t = c.length();
    int k = c.numCodes;
    int[] codes = new int[n * t];
    Rng rng = new Rng(seed);
    Sampling.Scratch scratch = new Sampling.Scratch(k);
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
          codes[i * t + pos] = sampling.draw(logits, i * stride + at, k, rng, scratch);
        }
      }
    }
    return codes;
  }
}
