package ai.vq4j.nn;

import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Mask;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import java.util.List;

/**
 * A masked 2-D convolution with bias (PixelCNN): stride 1, "same" padding k / 2, odd k, and only the taps
 * the {@link Mask} keeps take part: x[N, H, W, Ci] -> y[N, H, W, Co], weight [Co, k, k, Ci]. The weight is
 * stored whole; masked taps are zero from initialisation and their gradient is always zero, so they stay
 * zero under any optimizer step. Initialised as PyTorch initialises the nn.Conv2d a masked conv is made of
 * (uniform in +-1/sqrt(Ci k k), masked taps then zeroed).
 */
public final class MaskedConv2d extends ConvLayer {
  private final Mask mask;

  public MaskedConv2d(String name, Device device, Rng rng, int ci, int co, int k, Mask mask) {
    super(name, device, ci, co, checkOdd(name, k), maskedInit(rng, ci, co, k, mask), new int[] {co, k, k, ci},
        Init.uniform(rng, co, ci * k * k));
    this.mask = mask;
  }

  private static int checkOdd(String name, int k) {
    if (k < 1 || k % 2 == 0) {
      throw new IllegalArgumentException("masked conv " + name + ": kernel size must be odd and >= 1, got " + k);
    }
    return k;
  }

  private static float[] maskedInit(Rng rng, int ci, int co, int k, Mask mask) {
    float[] w = Init.uniform(rng, co * k * k * ci, ci * k * k);
    for (int o = 0; o < co; o++) {
      for (int i = 0; i < k; i++) {
        for (int j = 0; j < k; j++) {
          if (!mask.keeps(k, i, j)) {
            int at = ((o * k + i) * k + j) * ci;
            java.util.Arrays.fill(w, at, at + ci, 0f);
          }
        }
      }
    }
    return w;
  }

  @Override
  public int outSize(int in) {
    return in;
  }

  @Override
  void forwardOp(Tensor x, Tensor w, Tensor b, Tensor y) {
    Ops.maskedConv2dForward(x, w, b, y, mask);
  }

  @Override
  void backwardDataOp(Tensor dy, Tensor w, Tensor dx) {
    Ops.maskedConv2dBackwardData(dy, w, dx, mask);
  }

  @Override
  void backwardWeightOp(Tensor x, Tensor dy, Tensor dw, Tensor db) {
    Ops.maskedConv2dBackwardWeight(x, dy, dw, db, mask);
  }

  /**
   * The same function through {@link Ops#maskedConv2dDirectForward}, into the caller's y[N, H, W, Co]: each
   * output depends only on the inputs its taps read, so a crop gives the bits of the whole (sampling's fast
   * path relies on it). Keeps nothing for a backward pass.
   */
  public void forwardDirect(Tensor x, Tensor y) {
    Ops.maskedConv2dDirectForward(x, weight.value(), bias.value(), y, mask);
  }

  public Mask mask() {
    return mask;
  }

  @Override
  public String toString() {
    return "MaskedConv2d(" + ci + " -> " + co + ", " + k + "x" + k + ", mask " + mask + ")";
  }
}
