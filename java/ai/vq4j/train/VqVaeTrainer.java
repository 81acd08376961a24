package ai.vq4j.train;

import ai.vq4j.model.VqVae;
import ai.vq4j.nn.Buffers;
import ai.vq4j.nn.Quantizer;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;

/**
 * One VQ-VAE training step: forward, loss = MSE(x_hat, x) / variance + w * mean||z_e - z_q||^2 (w = 1 + beta
 * for the loss-trained codebook, beta for the EMA one), backward, Adam, then the quantizer's usage
 * tracking and dead-code restart. The trainer's own RNG (codebook init from data, restarts) is part of its
 * state, so a resumed run draws the same numbers.
 */
public final class VqVaeTrainer implements AutoCloseable {
  private final VqVae model;
  private final Adam adam;
  private final float variance;
  private final Rng rng;
  private final Tensor mse;
  private Tensor dRecon;
  private long step;

  public VqVaeTrainer(VqVae model, double learningRate, double weightDecay, double dataVariance, long seed) {
    if (!(dataVariance > 0)) {
      throw new IllegalArgumentException("data variance must be > 0, got " + dataVariance);
    }
    this.model = model;
    this.adam = new Adam(model.parameters(), learningRate, 0.9, 0.999, 1e-8, weightDecay);
    this.variance = (float) dataVariance;
    this.rng = new Rng(seed ^ 0x5DEECE66DL);
    this.mse = Tensor.zeros(model.device(), DType.FLOAT32, 1);
  }

  /** One step on the batch x[N, S, S, C] (on the model's device). */
  public StepMetrics step(Tensor x) {
    model.checkImages("train step", x);
    Quantizer q = model.quantizer();
    if (step == 0 && model.config().initCodebookFromData) {
      q.initFromData(model.encode(x), rng);
    }
    Tensor recon = model.forward(x, true);
    Ops.mseForward(recon, x, mse);
    dRecon = Buffers.ensure(dRecon, model.device(), recon.shape());
    Ops.mseBackward(recon, x, dRecon, 1f / variance);
    model.backward(dRecon);
    adam.step();
    int[] restarted = q.trackUsage(model.config().restartDeadCodes, rng);
    adam.resetRows(q.codebook(), restarted, q.dim());
    step++;
    double reconMse = mse.item();
    double vq = q.rawLoss().item();
    double loss = reconMse / variance + q.lossWeight() * vq;
    return new StepMetrics(step, loss, reconMse, vq, q.perplexity().item(), q.deadCodes(), restarted.length);
  }

  public VqVae model() {
    return model;
  }

  public Adam optimizer() {
    return adam;
  }

  /** Steps taken so far. */
  public long steps() {
    return step;
  }

  public double dataVariance() {
    return variance;
  }

  public Rng rng() {
    return rng;
  }

  /** Sets the step count and RNG state of a resumed run (the optimizer's step count is restored apart). */
  public void restore(long steps, long rngState) {
    if (steps < 0) {
      throw new IllegalArgumentException("step must be >= 0, got " + steps);
    }
    this.step = steps;
    rng.restore(rngState);
  }

  @Override
  public void close() {
    adam.close();
    Buffers.close(mse, dRecon);
  }
}
