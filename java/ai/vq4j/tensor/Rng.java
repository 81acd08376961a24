package ai.vq4j.tensor;

/**
 * A small seeded PRNG (SplitMix64) whose whole state is one long, so a checkpoint can store it and a
 * resumed run draws exactly the numbers the uninterrupted run would have drawn. Not thread-safe.
 */
public final class Rng {
  private long state;

  public Rng(long seed) {
    this.state = seed;
  }

  /** The state to store; {@code new Rng(0).restore(s)} continues the same sequence. */
  public long state() {
    return state;
  }

  public Rng restore(long savedState) {
    this.state = savedState;
    return this;
  }

  public long nextLong() {
    long z = (state += 0x9E3779B97F4A7C15L);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Uniform in [0, 1) with 53 random bits. */
  public double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  /** Uniform in [0, bound), without modulo bias. */
  public int nextInt(int bound) {
    if (bound <= 0) {
      throw new IllegalArgumentException("bound must be positive, got " + bound);
    }
    while (true) {
      long bits = nextLong() >>> 1;
      long value = bits % bound;
      // Rejects the last, partial run of [0, 2^63) that would favour small values.
      if (bits - value + (bound - 1) >= 0) {
        return (int) value;
      }
    }
  }

  /** Standard normal (Box-Muller; one value per call, so the state stays a single long). */
  public double nextGaussian() {
    double u1 = 1.0 - nextDouble();
    double u2 = nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Fisher-Yates shuffle of a in place. */
  public void shuffle(int[] a) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
