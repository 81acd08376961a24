package ai.vq4j.nn;

import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;

/**
 * k-means for codebook initialisation: k-means++ seeding (Arthur and Vassilvitskii 2007: each next centre
 * drawn with probability proportional to its squared distance from the nearest centre so far), then Lloyd
 * iterations (assign each point to its nearest centre, move each centre to the mean of its points). The
 * assignment is the quantizer's own nearest-code op, on the points' device; the seeding and the means run
 * on the host in double. Deterministic for a seed. A centre that loses all its points keeps its place.
 */
public final class KMeans {
  private KMeans() {}

  /** k centres [k * d] for the n = points.length / d points, seeded by rng, after the given iterations. */
  public static float[] fit(Device device, float[] points, int d, int k, int iterations, Rng rng) {
    int n = points.length / d;
    if (n < k) {
      throw new IllegalArgumentException("k-means needs at least k = " + k + " points, got " + n);
    }
    return lloyd(device, points, d, seed(points, d, k, rng), iterations);
  }

  /** k-means++ seeding: k distinct points as centres [k * d]. */
  static float[] seed(float[] points, int d, int k, Rng rng) {
    int n = points.length / d;
    float[] centres = new float[k * d];
    double[] nearest = new double[n];
    int first = rng.nextInt(n);
    System.arraycopy(points, first * d, centres, 0, d);
    for (int i = 0; i < n; i++) {
      nearest[i] = distance(points, i, centres, 0, d);
    }
    for (int j = 1; j < k; j++) {
      double total = 0;
      for (double v : nearest) {
        total += v;
      }
      double u = rng.nextDouble() * total;
      int pick = -1;
      int lastPositive = -1;
      for (int i = 0; i < n && pick < 0; i++) {
        if (nearest[i] > 0) {
          lastPositive = i;
          u -= nearest[i];
          if (u < 0) {
            pick = i;
          }
        }
      }
      if (pick < 0) {
        // Rounding at the end of the sum, or every point is a centre already (then a duplicate).
        pick = lastPositive >= 0 ? lastPositive : j % n;
      }
      System.arraycopy(points, pick * d, centres, j * d, d);
      for (int i = 0; i < n; i++) {
        nearest[i] = Math.min(nearest[i], distance(points, i, centres, j, d));
      }
    }
    return centres;
  }

  /** Lloyd iterations from the given centres [k * d]; returns the moved centres. */
  public static float[] lloyd(Device device, float[] points, int d, float[] centres, int iterations) {
    int n = points.length / d;
    int k = centres.length / d;
    float[] out = centres.clone();
    try (Tensor x = Tensor.of(device, points, n, d);
         Tensor c = Tensor.of(device, out, k, d);
         Tensor codes = Tensor.zeros(device, DType.INT32, n);
         Tensor nearest = Tensor.zeros(device, DType.FLOAT32, n, d)) {
      for (int it = 0; it < iterations; it++) {
        Ops.vqQuantizeForward(x, c, codes, nearest);
        int[] assigned = codes.toIntArray();
        double[] sums = new double[k * d];
        int[] counts = new int[k];
        for (int i = 0; i < n; i++) {
          int j = assigned[i];
          counts[j]++;
          for (int e = 0; e < d; e++) {
            sums[j * d + e] += points[i * d + e];
          }
        }
        for (int j = 0; j < k; j++) {
          if (counts[j] > 0) {
            for (int e = 0; e < d; e++) {
              out[j * d + e] = (float) (sums[j * d + e] / counts[j]);
            }
          }
        }
        c.copyFrom(out);
      }
    }
    return out;
  }

  private static double distance(float[] points, int i, float[] centres, int j, int d) {
    double s = 0;
    for (int e = 0; e < d; e++) {
      double diff = points[i * d + e] - centres[j * d + e];
      s += diff * diff;
    }
    return s;
  }
}
