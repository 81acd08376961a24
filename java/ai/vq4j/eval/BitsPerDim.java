package ai.vq4j.eval;

/**
 * The VQ-VAE's bound on the negative log-likelihood of an image, in bits per pixel dimension (paper section
 * 4.1): NLL(x) ≤ NLL_recon(x) + NLL_prior(z), in nats per image, divided by (pixel dimensions ln 2). The
 * reconstruction term must be a discrete likelihood over the 256 pixel values (a density would be unbounded); it is an
 * input here. With a uniform prior the prior term is N_latents ln K; with a learned prior it is the prior's
 * NLL of the image's codes.
 */
public final class BitsPerDim {
  private static final double LN2 = Math.log(2);

  private BitsPerDim() {}

  /**
   * (reconNll + priorNll) / (pixelDims ln 2): reconNll and priorNll in nats per image (or both summed over the
   * same images, with pixelDims summed likewise); pixelDims = height * width * channels of one image.
   */
  public static double withPrior(double reconNll, double priorNll, long pixelDims) {
    if (pixelDims < 1) {
      throw new IllegalArgumentException("pixel dimensions must be >= 1, got " + pixelDims);
    }
    if (!(reconNll >= 0) || !(priorNll >= 0)) {
      throw new IllegalArgumentException("NLLs must be >= 0 nats, got reconstruction " + reconNll + " and prior "
          + priorNll);
    }
    return (reconNll + priorNll) / (pixelDims * LN2);
  }

  /** The uniform prior's bound: (reconNll + latents ln K) / (pixelDims ln 2). */
  public static double uniformPrior(double reconNll, long latents, int numCodes, long pixelDims) {
    if (latents < 1 || numCodes < 1) {
      throw new IllegalArgumentException("need latents >= 1 and K >= 1, got " + latents + " and " + numCodes);
    }
    return withPrior(reconNll, latents * Math.log(numCodes), pixelDims);
  }

  /** Nats to bits. */
  public static double bits(double nats) {
    return nats / LN2;
  }
}
