package ai.vq4j.nn;

import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import java.util.Arrays;

/**
 * Finite scalar quantization (Mentzer et al. 2023): each of the D = levels.length channels of z_e is bounded
 * by a tanh and rounded to its own number of levels, straight through the rounding; the code is the
 * mixed-radix number of the digits, so 8,5,5,5 gives 1000 codes with nothing to learn and nothing to
 * collapse. The codebook parameter holds every code's vector (not trained), so that codes decode, feed the
 * prior and are checkpointed as any other quantizer's. There is no codebook or commitment loss, and no
 * dead code to restart. The quantizer loss it reports, mean||z_e - z_q||^2, is for the record only (weight 0).
 */
public final class FiniteScalarQuantizer extends Quantizer {
  private final int[] levels;
  private Tensor dzE;

  public FiniteScalarQuantizer(String name, Device device, int[] levels) {
    super(name, device, new Rng(0), codeCount(levels), levels.length, 0f, 0f, false, Gradient.STRAIGHT_THROUGH, false);
    this.levels = levels.clone();
    codebook.value().copyFrom(grid(levels));
    resetCodeStatistics();
  }

  /** The most channels the fsq op takes (kFsqMaxDims in kernels/fsq/fsq.h). */
  public static final int MAX_CHANNELS = 16;

  /** The number of codes, prod(levels); 1 to 16 channels, every level count >= 2, at most 2^24 codes. */
  public static int codeCount(int[] levels) {
    if (levels.length == 0 || levels.length > MAX_CHANNELS) {
      throw new IllegalArgumentException("FSQ needs 1 to " + MAX_CHANNELS + " level counts, got " + levels.length);
    }
    long k = 1;
    for (int l : levels) {
      if (l < 2) {
        throw new IllegalArgumentException("FSQ level counts must be >= 2, got " + Arrays.toString(levels));
      }
      k *= l;
      if (k > 1 << 24) {
        throw new IllegalArgumentException("FSQ levels " + Arrays.toString(levels) + " give more than 2^24 codes");
      }
    }
    return (int) k;
  }

  /** Row c: the vector of code c, channel 0 the least significant digit (the op's order). */
  static float[] grid(int[] levels) {
    int k = codeCount(levels);
    int d = levels.length;
    float[] out = new float[k * d];
    for (int c = 0; c < k; c++) {
      int rest = c;
      for (int i = 0; i < d; i++) {
        int half = levels[i] / 2;
        out[c * d + i] = (float) (rest % levels[i] - half) / half;
        rest /= levels[i];
      }
    }
    return out;
  }

  public int[] levels() {
    return levels.clone();
  }

  @Override
  protected void quantize(Tensor z, Tensor book, Tensor codes, Tensor zQ) {
    Ops.fsqForward(z, levels, codes, zQ);
  }

  @Override
  protected void update(Tensor counts, Tensor sums) {
    // Nothing learns: the levels are fixed.
  }

  @Override
  public float lossWeight() {
    return 0;
  }

  @Override
  public Tensor backward(Tensor dzQ) {
    Tensor zE = lastInput();
    dzE = Buffers.ensure(dzE, device, zE.shape());
    Ops.fsqBackward(zE, levels, dzQ, dzE);
    return dzE;
  }

  /** Counts usage only: an FSQ code has no vector of its own to restart. */
  @Override
  public void prepareStep(boolean restart, long key) {
    super.prepareStep(false, key);
  }

  @Override
  public void initFromData(Tensor zE, Rng rng, int kmeansIterations) {
    throw new UnsupportedOperationException("FSQ codes are fixed by their levels: no codebook to initialise from data");
  }

  @Override
  public void close() {
    super.close();
    Buffers.close(dzE);
  }
}
