package ai.vq4j.nn;

import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * A linear layer in PyTorch's layout: x[..., in] -> y[..., out] = x weight[out, in]^T + bias[out]. Weights are
 * drawn N(0, std^2) and the bias starts at 0, GPT-2's initialisation (the caller picks std).
 */
public final class Linear implements Layer {
  private final int in;
  private final int out;
  private final Device device;
  private final Parameter weight;
  private final Parameter bias;
  private boolean inputGradNeeded = true;
  private Tensor x;
  private Tensor y;
  private Tensor dx;

  public Linear(String name, Device device, Rng rng, int in, int out, double std) {
    if (in < 1 || out < 1) {
      throw new IllegalArgumentException("linear " + name + " needs in >= 1 and out >= 1, got " + in + " and " + out);
    }
    this.in = in;
    this.out = out;
    this.device = device;
    float[] w = new float[out * in];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (rng.nextGaussian() * std);
    }
    this.weight = new Parameter(name + ".weight", device, w, true, out, in);
    this.bias = new Parameter(name + ".bias", device, new float[out], true, out);
  }

  /** y[..., out] (owned by the layer) for x[..., in]; x must stay unchanged until backward. */
  @Override
  public Tensor forward(Tensor x) {
    this.x = x;
    int[] shape = x.shape();
    shape[shape.length - 1] = out;
    y = Buffers.ensure(y, device, shape);
    Ops.linearForward(x, weight.value(), bias.value(), y);
    return y;
  }

  /** Overwrites the weight and bias gradients; returns dx (owned by the layer), or null when not needed. */
  @Override
  public Tensor backward(Tensor dy) {
    Ops.linearBackwardWeight(x, dy, weight.grad(), bias.grad());
    if (!inputGradNeeded) {
      return null;
    }
    dx = Buffers.ensure(dx, device, x.shape());
    Ops.linearBackwardData(dy, weight.value(), dx);
    return dx;
  }

  /** The last forward's output. */
  public Tensor output() {
    return y;
  }

  public Parameter weight() {
    return weight;
  }

  public Parameter bias() {
    return bias;
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
    return "Linear(" + in + " -> " + out + ")" + (x == null ? "" : " last input " + Arrays.toString(x.shape()));
  }
}
