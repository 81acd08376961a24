package ai.vq4j.model;

import ai.vq4j.nn.Buffers;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Tensor;

/**
 * A prior's loss over codes: softmax cross-entropy of logits [..., K] against int32 codes of the same leading
 * shape, in nats, with the buffers it reuses from step to step. Both priors ({@link PixelCnnPrior},
 * {@link TransformerPrior}) train and evaluate through it.
 */
final class CodeLoss implements AutoCloseable {
  private final Device device;
  private Tensor loss;
  private Tensor terms;
  private Tensor dLogits;

  CodeLoss(Device device) {
    this.device = device;
  }

  /**
   * The mean over codes into {@link #loss()}, and its gradient with respect to logits (valid until the next
   * call), for the prior's backward.
   */
  Tensor meanAndGradient(Tensor logits, Tensor codes) {
    loss = Buffers.ensure(loss, device, 1);
    Ops.softmaxXentForward(logits, codes, loss, null);
    dLogits = Buffers.ensure(dLogits, device, logits.shape());
    Ops.softmaxXentBackward(logits, codes, dLogits, 1f);
    return dLogits;
  }

  /** One float32 on the device, valid until the next call: reading it waits for the device. */
  Tensor loss() {
    return loss;
  }

  /** Each example's negative log-likelihood (the sum over its perExample codes), read back to the host. */
  double[] perExample(Tensor logits, Tensor codes, int perExample) {
    int n = codes.dim(0);
    loss = Buffers.ensure(loss, device, 1);
    terms = Buffers.ensure(terms, device, n * perExample);
    Ops.softmaxXentForward(logits, codes, loss, terms);
    float[] values = terms.toFloatArray();
    double[] sums = new double[n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < perExample; j++) {
        sums[i] += values[i * perExample + j];
      }
    }
    return sums;
  }

  @Override
  public void close() {
    Buffers.close(loss, terms, dLogits);
  }
}
