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
public final class MaskedConv2d implements Layer {
  private final int ci;
  private final int co;
  private final int k;
  private final Mask mask;
  private final Parameter weight;
  private final Parameter bias;
  private final Device device;
  private boolean inputGradNeeded = true;
  private Tensor x;
  private Tensor y;
  private Tensor dx;

  public MaskedConv2d(String name, Device device, Rng rng, int ci, int co, int k, Mask mask) {
    if (k < 1 || k % 2 == 0) {
      throw new IllegalArgumentException("masked conv " + name + ": kernel size must be odd and >= 1, got " + k);
    }
    this.ci = ci;
    this.co = co;
    this.k = k;
    this.mask = mask;
    this.device = device;
    int fanIn = ci * k * k;
    float[] w = Init.uniform(rng, co * k * k * ci, fanIn);
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
    this.weight = new Parameter(name + ".weight", device, w, true, co, k, k, ci);
    this.bias = new Parameter(name + ".bias", device, Init.uniform(rng, co, fanIn), true, co);
  }

  @Override
  public Tensor forward(Tensor x) {
    this.x = x;
    y = Buffers.ensure(y, device, x.dim(0), x.dim(1), x.dim(2), co);
    Ops.maskedConv2dForward(x, weight.value(), bias.value(), y, mask);
    return y;
  }

  /**
   * The same function through {@link Ops#maskedConv2dDirectForward}, into the caller's y[N, H, W, Co]: each
   * output depends only on the inputs its taps read, so a crop gives the bits of the whole (sampling's fast
   * path relies on it). Keeps nothing for a backward pass.
   */
  public void forwardDirect(Tensor x, Tensor y) {
    Ops.maskedConv2dDirectForward(x, weight.value(), bias.value(), y, mask);
  }

  @Override
  public Tensor backward(Tensor dy) {
    Ops.maskedConv2dBackwardWeight(x, dy, weight.grad(), bias.grad(), mask);
    if (!inputGradNeeded) {
      return null;
    }
    dx = Buffers.ensure(dx, device, x.shape());
    Ops.maskedConv2dBackwardData(dy, weight.value(), dx, mask);
    return dx;
  }

  public Mask mask() {
    return mask;
  }

  public int kernelSize() {
    return k;
  }

  public int inChannels() {
    return ci;
  }

  public int outChannels() {
    return co;
  }

  @Override
  public List<Parameter> parameters() {
    return List.of(weight, bias);
  }

  @Override
  public void setInputGradNeeded(boolean needed) {
    inputGradNeeded = needed;
  }

  @Override
  public void close() {
    Buffers.close(y, dx);
    weight.close();
    bias.close();
  }

  @Override
  public String toString() {
    return "MaskedConv2d(" + ci + " -> " + co + ", " + k + "x" + k + ", mask " + mask + ")";
  }
}
