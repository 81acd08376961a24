package ai.vq4j.eval;

import ai.vq4j.checkpoint.CodeDataset;
import ai.vq4j.data.Dataset;
import ai.vq4j.model.Prior;
import ai.vq4j.model.VqVae;
import ai.vq4j.tensor.Tensor;
import java.util.Arrays;

/**
 * A prior measured on held-out codes: the NLL in nats and bits per code over the whole test set, and the
 * paper's bits/dim bound with the learned prior beside the uniform-prior one. The bound pairs each image's
 * reconstruction NLL with its codes' prior NLL: over the same images, the second half of the test set, where
 * the reconstruction's sigma was not fitted (see {@link Evaluation}).
 */
public record PriorEvaluation(String model, long parameters, Nll testNll, int grids, int gridSize, int numCodes, double bitsPerDimPrior,
    double bitsPerDimUniform, double reconNllNatsPerImage, double priorNatsPerGrid, int dimsPerImage)
    implements ModelEvaluation {
  private static final double LN2 = Math.log(2);

  /** Mean NLL per code over every position of every grid, and the total per grid. */
  public record Nll(double natsPerCode, double bitsPerCode, double natsPerGrid, long codes) {}

  /** The prior on the test codes, and the bound with the VQ-VAE's reconstructions of the test images. */
  public static PriorEvaluation run(Prior prior, VqVae vae, Dataset testImages, CodeDataset test,
      int batchSize) {
    Evaluation recon = Evaluation.run(vae, testImages, batchSize);
    Nll all = evaluate(prior, test, batchSize);
    Nll scored = evaluate(prior, test.slice(test.count() / 2, test.count()), batchSize);
    double withPrior = BitsPerDim.withPrior(recon.reconNllNatsPerImage(), scored.natsPerGrid(),
        recon.dimsPerImage());
    return new PriorEvaluation(prior.kind().title(), prior.parameterCount(), all, test.count(), test.gridSize(), test.numCodes(), withPrior,
        recon.bitsPerDimUniformPrior(), recon.reconNllNatsPerImage(), scored.natsPerGrid(), recon.dimsPerImage());
  }

  /** The prior's mean NLL of every code of the dataset, batchSize grids at a time, in dataset order. */
  public static Nll evaluate(Prior prior, CodeDataset data, int batchSize) {
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
      try (Tensor codes = Tensor.ofInts(prior.device(), c, b, g, g)) {
        for (double v : prior.nll(codes, cond ? Arrays.copyOfRange(labels, from, from + b) : null)) {
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

  @Override
  public String summary() {
    return String.format("prior            %s, %d parameters%n"
        + "test codes       %d grids of %dx%d%n"
        + "test NLL         %.4f bits/code (uniform prior: %.4f = log2 %d)%n"
        + "bits/dim bound   %.4f with the learned prior, %.4f with the uniform prior%n"
        + "                 (discretised-Gaussian reconstruction NLL %.1f nats/image + prior NLL %.1f nats/image,"
        + " over the %d dims of the data set's own pixels, padding cropped; second half of the test set)%n",
        model, parameters, grids, gridSize, gridSize, testNll.bitsPerCode(), uniformBitsPerCode(numCodes), numCodes, bitsPerDimPrior,
        bitsPerDimUniform, reconNllNatsPerImage, priorNatsPerGrid, dimsPerImage);
  }
}
