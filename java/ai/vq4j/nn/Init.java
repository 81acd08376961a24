package ai.vq4j.nn;

import ai.vq4j.tensor.Rng;

/** Weight initialisation, as PyTorch's default for conv layers, so the two start from the same law. */
final class Init {
  private Init() {}

  /**
   * PyTorch's default conv init: weight and bias both uniform in +-1/sqrt(fanIn) (kaiming_uniform with
   * a = sqrt(5) reduces to that bound), fanIn = the weight's elements per output channel.
   */
  static float[] uniform(Rng rng, int count, int fanIn) {
    double bound = 1.0 / Math.sqrt(fanIn);
    float[] out = new float[count];
    for (int i = 0; i < count; i++) {
      out[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
    }
    return out;
  }
}
