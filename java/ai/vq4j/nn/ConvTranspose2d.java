package ai.vq4j.nn;

import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;

/**
 * A transposed 2-D convolution with bias: x[N, H, W, Ci] -> y[N, (H - 1) s - 2p + k, ..., Co], weight
 * [Ci, k, k, Co] (the weight of the conv it is the adjoint of). PyTorch computes its fan-in from its weight
 * [Ci, Co, k, k] as Co * k * k, and so does the initialisation here.
 */
public final class ConvTranspose2d extends ConvLayer {
  private final int stride;
  private final int pad;

  public ConvTranspose2d(String name, Device device, Rng rng, int ci, int co, int k, int stride, int pad) {
    super(name, device, ci, co, k, Init.uniform(rng, ci * k * k * co, co * k * k), new int[] {ci, k, k, co},
        Init.uniform(rng, co, co * k * k));
    this.stride = stride;
    this.pad = pad;
  }

  @Override
  public int outSize(int in) {
    return (in - 1) * stride - 2 * pad + k;
  }

  @Override
  void forwardOp(Tensor x, Tensor w, Tensor b, Tensor y) {
    Ops.convTranspose2dForward(x, w, b, y, stride, pad);
  }

  @Override
  void backwardDataOp(Tensor dy, Tensor w, Tensor dx) {
    Ops.convTranspose2dBackwardData(dy, w, dx, stride, pad);
  }

  @Override
  void backwardWeightOp(Tensor x, Tensor dy, Tensor dw, Tensor db) {
    Ops.convTranspose2dBackwardWeight(x, dy, dw, db, stride, pad);
  }

  @Override
  public String toString() {
    return "ConvTranspose2d(" + ci + " -> " + co + ", " + k + "x" + k + ", stride " + stride + ", pad " + pad + ")";
  }
}
