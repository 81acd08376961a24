package ai.vq4j.nn;

import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import java.util.List;

/** A 2-D convolution with bias: x[N, H, W, Ci] -> y[N, OH, OW, Co], weight [Co, k, k, Ci]. */
public final class Conv2d implements Layer {
  private final int ci;
  private final int co;
  private final int k;
  private final int stride;
  private final int pad;
  private final Parameter weight;
  private final Parameter bias;
  private final Device device;
  private boolean inputGradNeeded = true;
  private Tensor x;
  private Tensor y;
  private Tensor dx;

  public Conv2d(String name, Device device, Rng rng, int ci, int co, int k, int stride, int pad) {
    this.ci = ci;
    this.co = co;
    this.k = k;
    this.stride = stride;
    this.pad = pad;
    this.device = device;
    int fanIn = ci * k * k;
    this.weight = new Parameter(name + ".weight", device, Init.uniform(rng, co * k * k * ci, fanIn), true, co, k, k, ci);
    this.bias = new Parameter(name + ".bias", device, Init.uniform(rng, co, fanIn), true, co);
  }

  /** Output size along one spatial axis of this size. */
  public int outSize(int in) {
    return (in + 2 * pad - k) / stride + 1;
  }

  @Override
  public Tensor forward(Tensor x) {
    this.x = x;
    y = Buffers.ensure(y, device, x.dim(0), outSize(x.dim(1)), outSize(x.dim(2)), co);
    Ops.conv2dForward(x, weight.value(), bias.value(), y, stride, pad);
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    Ops.conv2dBackwardWeight(x, dy, weight.grad(), bias.grad(), stride, pad);
    if (!inputGradNeeded) {
      return null;
    }
    dx = Buffers.ensure(dx, device, x.shape());
    Ops.conv2dBackwardData(dy, weight.value(), dx, stride, pad);
    return dx;
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
    return "Conv2d(" + ci + " -> " + co + ", " + k + "x" + k + ", stride " + stride + ", pad " + pad + ")";
  }
}
