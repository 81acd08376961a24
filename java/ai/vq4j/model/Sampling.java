package ai.vq4j.model;

import ai.vq4j.tensor.Rng;
import java.util.Arrays;
import java.util.Comparator;

/**
 * How a code is drawn from a prior's logits at one position, the same for every prior: softmax(logits /
 * temperature) in double precision, cut to the topK most likely codes (0: no cut) and then to the smallest set of
 * most likely codes whose probability reaches topP (1: no cut), then one inverse-CDF draw in code order with one
 * {@link Rng#nextDouble()}. Without cuts no sorting is done, and the draw is the plain categorical one.
 */
public record Sampling(double temperature, int topK, double topP) {
  /** The prior itself: temperature 1, no cuts. */
  public static final Sampling PLAIN = new Sampling(1, 0, 1);

  public Sampling {
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("sampling: temperature (--temperature) must be positive and finite, got "
          + temperature);
    }
    if (topK < 0) {
      throw new IllegalArgumentException("sampling: top-k (--top-k) must be >= 0 (0: no cut), got " + topK);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("sampling: top-p (--top-p) must be in (0, 1] (1: no cut), got " + topP);
    }
  }

  /** Temperature only. */
  public static Sampling withTemperature(double temperature) {
    return new Sampling(temperature, 0, 1);
  }

  /** Scratch space for {@link #draw}, for K codes. */
  public static final class Scratch {
    final double[] weights;
    final Integer[] order;

    public Scratch(int k) {
      weights = new double[k];
      order = new Integer[k];
    }
  }

  /** One code from logits[off, off + k). */
  public int draw(float[] logits, int off, int k, Rng rng, Scratch scratch) {
    double[] w = scratch.weights;
    double max = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < k; j++) {
      float l = logits[off + j];
      if (Float.isNaN(l)) {
        throw new IllegalStateException("sample: logit " + j + " is NaN");
      }
      max = Math.max(max, l);
    }
    double sum = 0;
    for (int j = 0; j < k; j++) {
      w[j] = Math.exp((logits[off + j] - max) / temperature);
      sum += w[j];
    }
    if ((topK > 0 && topK < k) || topP < 1) {
      sum = cut(w, k, scratch.order);
    }
    double u = rng.nextDouble() * sum;
    double acc = 0;
    int last = 0;
    for (int j = 0; j < k; j++) {
      if (w[j] > 0) {
        acc += w[j];
        last = j;
        if (u < acc) {
          return j;
        }
      }
    }
    return last;
  }

  /** Zeroes the weights of the codes the cuts drop; returns the sum of the rest (in code order). */
  private double cut(double[] w, int k, Integer[] order) {
    for (int j = 0; j < k; j++) {
      order[j] = j;
    }
    // Most likely first, ties to the lower code: both cuts keep a prefix of this order.
    Arrays.sort(order, 0, k, Comparator.comparingDouble((Integer j) -> -w[j]).thenComparingInt(j -> j));
    int keep = topK > 0 ? Math.min(topK, k) : k;
    if (topP < 1) {
      double total = 0;
      for (int r = 0; r < keep; r++) {
        total += w[order[r]];
      }
      double cum = 0;
      int r = 0;
      while (r < keep) {
        cum += w[order[r++]];
        if (cum >= topP * total) {
          break;
        }
      }
      keep = r;
    }
    for (int r = keep; r < k; r++) {
      w[order[r]] = 0;
    }
    double sum = 0;
    for (int j = 0; j < k; j++) {
      sum += w[j];
    }
    return sum;
  }
}
