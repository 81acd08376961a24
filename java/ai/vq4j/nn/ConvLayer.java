package ai.vq4j.nn;

import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import java.util.List;

/**
 * What every convolution layer shares: a weight and a bias, the input kept for backward, the output and
 * input-gradient buffers, and the order of the backward pass (weight gradient first, then, when needed, the
 * input gradient). Subclasses name the three ops and the output size.
 */
abstract class ConvLayer implements Layer {
  protected final int ci;
  protected final int co;
  protected final int k;
  protected final Parameter weight;
  protected final Parameter bias;
  protected final Device device;
  private boolean inputGradNeeded = true;
  private Tensor x;
  private Tensor y;
  private Tensor dx;

  ConvLayer(String name, Device device, int ci, int co, int k, float[] w, int[] weightShape, float[] b) {
    this.ci = ci;
    this.co = co;
    this.k = k;
    this.device = device;
    this.weight = new Parameter(name + ".weight", device, w, true, weightShape);
    this.bias = new Parameter(name + ".bias", device, b, true, co);
  }

  /** Output size along one spatial axis of this size. */
  public abstract int outSize(int in);

  abstract void forwardOp(Tensor x, Tensor w, Tensor b, Tensor y);

  abstract void backwardDataOp(Tensor dy, Tensor w, Tensor dx);

  abstract void backwardWeightOp(Tensor x, Tensor dy, Tensor dw, Tensor db);

  @Override
  public Tensor forward(Tensor x) {
    this.x = x;
    y = Buffers.ensure(y, device, x.dim(0), outSize(x.dim(1)), outSize(x.dim(2)), co);
    forwardOp(x, weight.value(), bias.value(), y);
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    backwardWeightOp(x, dy, weight.grad(), bias.grad());
    if (!inputGradNeeded) {
      return null;
    }
    dx = Buffers.ensure(dx, device, x.shape());
    backwardDataOp(dy, weight.value(), dx);
    return dx;
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
}
