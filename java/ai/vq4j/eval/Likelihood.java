package ai.vq4j.eval;

/**
 * Discrete likelihoods of 8-bit pixels under a decoder read as a Gaussian mean (the discretised-Gaussian
 * construction of PixelCNN++, Salimans et al. 2017, section 2.1): pixel value v in 0..255 gets the mass of
 * its bin [v - 1/2, v + 1/2] in grey levels, the first and last bins open to -inf and +inf.
 */
public final class Likelihood {
  private static final double SQRT1_2 = Math.sqrt(0.5);

  private Likelihood() {}

  /** -ln P(v) for a pixel value v in 0..255 under N(mu, sigma^2), mu and sigma in grey levels. */
  public static double discretizedGaussianNll(int v, double mu, double sigma) {
    if (v < 0 || v > 255) {
      throw new IllegalArgumentException("pixel value must be in 0..255, got " + v);
    }
    if (!(sigma > 0)) {
      throw new IllegalArgumentException("sigma must be > 0, got " + sigma);
    }
    double lo = v == 0 ? Double.NEGATIVE_INFINITY : (v - 0.5 - mu) / sigma;
    double hi = v == 255 ? Double.POSITIVE_INFINITY : (v + 0.5 - mu) / sigma;
    double p;
    // Take the difference in the tail where both terms are small, so it does not cancel to zero.
    if (lo > 0) {
      p = upper(lo) - upper(hi);
    } else if (hi < 0) {
      p = lower(hi) - lower(lo);
    } else {
      p = 1 - lower(lo) - upper(hi);
    }
    return -Math.log(Math.max(p, Double.MIN_NORMAL));
  }

  /** P(Z <= z) for a standard normal Z. */
  static double lower(double z) {
    return z == Double.NEGATIVE_INFINITY ? 0 : z == Double.POSITIVE_INFINITY ? 1 : 0.5 * erfc(-z * SQRT1_2);
  }

  /** P(Z > z). */
  static double upper(double z) {
    return z == Double.POSITIVE_INFINITY ? 0 : z == Double.NEGATIVE_INFINITY ? 1 : 0.5 * erfc(z * SQRT1_2);
  }

  /**
   * The complementary error function, with relative error under 1.2e-7 everywhere (Numerical Recipes'
   * Chebyshev fit), which keeps its accuracy far into the tail where 1 - erf would not.
   */
  static double erfc(double x) {
    double z = Math.abs(x);
    double t = 1 / (1 + 0.5 * z);
    double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
        + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
        + t * (-0.82215223 + t * 0.17087277)))))))));
    return x >= 0 ? r : 2 - r;
  }
}
