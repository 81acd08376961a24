package ai.vq4j.nn;

import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * The EMA quantizer (paper appendix A.1, Sonnet VectorQuantizerEMA): after quantizing with the current
 * codebook, N_i and m_i follow exponential moving averages (decay gamma) of the counts and sums of the
 * vectors assigned to code i, and e_i = m_i / N_i with Laplace-smoothed counts (eps). Only beta times the
 * commitment loss remains. The averages start at N_i = 1, m_i = e_i (as Jukebox does), so an unused code
 * keeps its vector instead of being divided by a near-zero count.
 */
public final class EmaCodebookQuantizer extends Quantizer {
  private final float gamma;
  private final float eps;
  private final Tensor emaCount;
  private final Tensor emaSum;

  public EmaCodebookQuantizer(String name, Device device, Rng rng, int k, int d, float beta, float gamma, float eps,
      float deadCodeThreshold, Gradient gradient) {
    super(name, device, rng, k, d, beta, deadCodeThreshold, false, gradient, false);
    if (!(gamma > 0 && gamma < 1) || !(eps > 0)) {
      throw new IllegalArgumentException("EMA quantizer needs 0 < gamma < 1 and eps > 0, got gamma = " + gamma
          + ", eps = " + eps);
    }
    this.gamma = gamma;
    this.eps = eps;
    float[] ones = new float[k];
    Arrays.fill(ones, 1f);
    this.emaCount = Tensor.of(device, ones, k);
    this.emaSum = Tensor.zeros(device, DType.FLOAT32, k, d);
    emaSum.copyFrom(codebook.value());
  }

  @Override
  protected boolean needsSums() {
    return true;
  }

  @Override
  protected void update(Tensor counts, Tensor sums) {
    Ops.vqEmaUpdate(counts, sums, emaCount, emaSum, codebook.value(), gamma, eps);
  }

  @Override
  public float lossWeight() {
    return beta;
  }

  @Override
  protected Tensor emaCount() {
    return emaCount;
  }

  @Override
  protected Tensor emaSum() {
    return emaSum;
  }

  @Override
  protected void resetVariantStatistics() {
    float[] ones = new float[k];
    Arrays.fill(ones, 1f);
    emaCount.copyFrom(ones);
    emaSum.copyFrom(codebook.value());
  }

  @Override
  public List<Tensor> stateTensors() {
    return List.of(emaCount, emaSum);
  }

  @Override
  public List<String> stateNames() {
    return List.of("ema_count", "ema_sum");
  }

  @Override
  public void close() {
    super.close();
    Buffers.close(emaCount, emaSum);
  }
}
