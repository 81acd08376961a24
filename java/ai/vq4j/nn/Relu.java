package ai.vq4j.nn;

import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Tensor;
import java.util.List;

/** max(x, 0); its backward needs only its own output. */
public final class Relu implements Layer {
  private final Device device;
  private Tensor y;
  private Tensor dx;

  public Relu(Device device) {
    this.device = device;
  }

  @Override
  public Tensor forward(Tensor x) {
    y = Buffers.ensure(y, device, x.shape());
    Ops.reluForward(x, y);
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    dx = Buffers.ensure(dx, device, y.shape());
    Ops.reluBackward(y, dy, dx);
    return dx;
  }

  @Override
  public List<Parameter> parameters() {
    return List.of();
  }

  @Override
  public void setInputGradNeeded(boolean needed) {
    // A ReLU has no parameters: its backward is its input gradient, always computed.
  }

  @Override
  public void close() {
    Buffers.close(y, dx);
  }

  @Override
  public String toString() {
    return "ReLU";
  }
}
