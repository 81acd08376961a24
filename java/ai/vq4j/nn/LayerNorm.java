package ai.vq4j.nn;

import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/** Layer norm over the last dimension, x[..., C] -> y[..., C], gamma starting at 1 and beta at 0 (PyTorch's). */
public final class LayerNorm implements Layer {
  private static final float EPS = 1e-5f;
  private final int c;
  private final Device device;
  private final Parameter gamma;
  private final Parameter beta;
  private Tensor x;
  private Tensor y;
  private Tensor mean;
  private Tensor rstd;
  private Tensor dx;

  public LayerNorm(String name, Device device, int c) {
    this.c = c;
    this.device = device;
    float[] ones = new float[c];
    Arrays.fill(ones, 1f);
    this.gamma = new Parameter(name + ".weight", device, ones, true, c);
    this.beta = new Parameter(name + ".bias", device, new float[c], true, c);
  }

  @Override
  public Tensor forward(Tensor x) {
    this.x = x;
    y = Buffers.ensure(y, device, x.shape());
    int rows = Math.toIntExact(x.size() / c);
    mean = Buffers.ensure(mean, device, rows);
    rstd = Buffers.ensure(rstd, device, rows);
    Ops.layerNormForward(x, gamma.value(), beta.value(), y, mean, rstd, EPS);
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    dx = Buffers.ensure(dx, device, x.shape());
    Ops.layerNormBackward(x, gamma.value(), mean, rstd, dy, dx, gamma.grad(), beta.grad());
    return dx;
  }

  @Override
  public List<Parameter> parameters() {
    return List.of(gamma, beta);
  }

  @Override
  public void setInputGradNeeded(boolean needed) {
    // Its input is always an activation inside the network.
  }

  @Override
  public void close() {
    Buffers.close(y, mean, rstd, dx);
    gamma.close();
    beta.close();
  }
}
