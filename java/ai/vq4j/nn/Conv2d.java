package ai.vq4j.nn;

import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;

/** A 2-D convolution with bias: x[N, H, W, Ci] -> y[N, OH, OW, Co], weight [Co, k, k, Ci]. */
public final class Conv2d extends ConvLayer {
  private final int stride;
  private final int pad;

  public Conv2d(String name, Device device, Rng rng, int ci, int co, int k, int stride, int pad) {
    super(name, device, ci, co, k, Init.uniform(rng, co * k * k * ci, ci * k * k), new int[] {co, k, k, ci},
        Init.uniform(rng, co, ci * k * k));
    this.stride = stride;
    this.pad = pad;
  }

  @Override
  public int outSize(int in) {
    return (in + 2 * pad - k) / stride + 1;
  }

  @Override
  void forwardOp(Tensor x, Tensor w, Tensor b, Tensor y) {
    Ops.conv2dForward(x, w, b, y, stride, pad);
  }

  @Override
  void backwardDataOp(Tensor dy, Tensor w, Tensor dx) {
    Ops.conv2dBackwardData(dy, w, dx, stride, pad);
  }

  @Override
  void backwardWeightOp(Tensor x, Tensor dy, Tensor dw, Tensor db) {
    Ops.conv2dBackwardWeight(x, dy, dw, db, stride, pad);
  }

  @Override
  public String toString() {
    return "Conv2d(" + ci + " -> " + co + ", " + k + "x" + k + ", stride " + stride + ", pad " + pad + ")";
  }
}
