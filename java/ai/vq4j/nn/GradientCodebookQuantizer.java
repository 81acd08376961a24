package ai.vq4j.nn;

import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;

/**
 * The quantizer whose codebook learns by gradient (paper eq. 3): loss = ||sg[z_e] - e||^2 +
 * beta ||z_e - sg[e]||^2, both means over all elements (Sonnet), so the loss is (1 + beta) times
 * mean||z_e - z_q||^2 while the codebook sees only the first term and the encoder only the second.
 */
public final class GradientCodebookQuantizer extends Quantizer {
  public GradientCodebookQuantizer(String name, Device device, Rng rng, int k, int d, float beta, float deadCodeThreshold,
      Gradient gradient, boolean l2Codes) {
    super(name, device, rng, k, d, beta, deadCodeThreshold, true, gradient, l2Codes);
  }

  @Override
  protected void update(Tensor counts, Tensor sums) {
    // The codebook is a parameter: the optimizer updates it from its gradient.
  }

  @Override
  public float lossWeight() {
    return 1 + beta;
  }
}
