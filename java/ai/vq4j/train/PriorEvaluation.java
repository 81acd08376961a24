package ai.vq4j.train;

import ai.vq4j.model.PixelCnnPrior;
import ai.vq4j.tensor.Tensor;

/** Held-out negative log-likelihood of a prior, in nats and bits per code. */
public final class PriorEvaluation {
  private static final double LN2 = Math.log(2);

  /** Mean NLL per code over every position of every grid, and the total per grid. */
  public record Nll(double natsPerCode, double bitsPerCode, double natsPerGrid, long codes) {}

  private PriorEvaluation() {}

  /** The prior's mean NLL of every code of the dataset, batchSize grids at a time, in dataset order. */
  public static Nll evaluate(PixelCnnPrior prior, CodeDataset data, int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
    }
    int g = data.gridSize();
    int per = g * g;
    int[] all = data.codes();
    int[] labels = data.labels();
    boolean cond = prior.conditioned();
    if (cond && labels == null) {
      throw new IllegalArgumentException("evaluate: the prior is class-conditioned but the codes have no labels");
    }
    double total = 0;
    for (int from = 0; from < data.count(); from += batchSize) {
      int b = Math.min(batchSize, data.count() - from);
      int[] c = new int[b * per];
      System.arraycopy(all, from * per, c, 0, b * per);
      try (Tensor codes = Tensor.ofInts(prior.device(), c, b, g, g);
           Tensor lab = cond ? Tensor.ofInts(prior.device(), java.util.Arrays.copyOfRange(labels, from, from + b), b)
               : null) {
        for (double v : prior.nll(codes, lab)) {
          total += v;
        }
      }
    }
    long n = (long) data.count() * per;
    double nats = total / n;
    return new Nll(nats, nats / LN2, total / data.count(), n);
  }

  /** log2 K: the bits per code of the uniform prior. */
  public static double uniformBitsPerCode(int numCodes) {
    return Math.log(numCodes) / LN2;
  }
}
