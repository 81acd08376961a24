package ai.vq4j.train;

import ai.vq4j.checkpoint.VqVaeCheckpoint;
import ai.vq4j.dist.Communicator;
import ai.vq4j.dist.DataParallel;
import ai.vq4j.io.Safetensors;
import ai.vq4j.model.VqVae;
import ai.vq4j.nn.Buffers;
import ai.vq4j.nn.Quantizer;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One VQ-VAE training step: forward, loss = MSE(x_hat, x) / variance + w * mean||z_e - z_q||^2 (w = 1 + beta
 * for the loss-trained codebook, beta for the EMA one), backward, Adam, then the quantizer's usage
 * tracking and dead-code restart. The trainer's own RNG (codebook init from data, restarts) is part of its
 * state, so a resumed run draws the same numbers.
 *
 * <p>{@link #queueStep} queues a step without waiting for the device: its metrics stay on the device until
 * {@link #drainMetrics} reads every queued step's at once. On a GPU this lets the host run ahead of the
 * device; {@link #step} is the convenience that queues one step and reads its metrics.
 */
public final class VqVaeTrainer implements Trainer<VqVae> {
  private final VqVae model;
  private final Adam adam;
  private final float variance;
  private final Rng rng;
  private final Tensor mse;
  private final DeviceMetricsQueue log;
  private Tensor dRecon;
  private long step;
  private LearningRateSchedule schedule;

  public VqVaeTrainer(VqVae model, double learningRate, double weightDecay, double dataVariance, long seed) {
    if (!(dataVariance > 0)) {
      throw new IllegalArgumentException("data variance must be > 0, got " + dataVariance);
    }
    this.model = model;
    this.adam = new Adam(model.parameters(), learningRate, 0.9, 0.999, 1e-8, weightDecay);
    this.variance = (float) dataVariance;
    this.rng = new Rng(seed ^ 0x5DEECE66DL);
    this.mse = Tensor.zeros(model.device(), DType.FLOAT32, 1);
    this.log = new DeviceMetricsQueue(model.device(), 4, METRICS_CAPACITY);
  }

  /**
   * Sets Adam's learning rate before every step from now on: schedule.rate(step) for the step about to be taken
   * (null: the constant rate the trainer was made with).
   */
  public void setSchedule(LearningRateSchedule schedule) {
    this.schedule = schedule;
  }

  /** Steps whose metrics the device holds before a full buffer is read back on its own. */
  static final int METRICS_CAPACITY = 1024;

  /**
   * One step on the batch x[N, S, S, C] (on the model's device), and its metrics (a wait for the device).
   * Metrics of steps queued before it and not yet drained are drained with it and not returned.
   */
  public VqVaeStepMetrics step(Tensor x) {
    queueStep(x);
    List<VqVaeStepMetrics> all = drainMetrics();
    return all.get(all.size() - 1);
  }

  /**
   * Queues one step on the batch x[N, S, S, C] (on the model's device) and returns without reading anything
   * back (apart from the first step's codebook initialisation from data); x may be overwritten as soon as
   * this returns, since later device work is queued behind the step.
   */
  public void queueStep(Tensor x) {
    model.checkImages("train step", x);
    Quantizer q = model.quantizer();
    if (step == 0 && model.config().initCodebookFromData) {
      q.initFromData(model.encode(x), rng, model.config().kmeansIterations);
    }
    Tensor recon = model.forward(x, true);
    boolean restart = model.config().restartDeadCodes;
    q.prepareStep(restart, rng.nextLong());
    Ops.mseForward(recon, x, mse);
    dRecon = Buffers.ensure(dRecon, model.device(), recon.shape());
    Ops.mseBackward(recon, x, dRecon, 1f / variance);
    model.backward(dRecon);
    if (schedule != null) {
      adam.setLearningRate(schedule.rate(step + 1));
    }
    adam.step();
    q.finishStep();
    if (restart) {
      adam.resetRows(q.codebook(), q.restartedMask());
    }
    step++;
    log.record(step, mse, q.rawLoss(), q.perplexity(), q.deadCodeCount());
  }

  @Override
  public List<VqVaeStepMetrics> drainMetrics() {
    boolean restart = model.config().restartDeadCodes;
    float w = model.quantizer().lossWeight();
    List<VqVaeStepMetrics> out = new ArrayList<>();
    for (DeviceMetricsQueue.Row r : log.drain()) {
      double reconMse = r.values()[0];
      double vq = r.values()[1];
      int dead = Math.round(r.values()[3]);
      out.add(new VqVaeStepMetrics(r.step(), reconMse / variance + w * vq, reconMse, vq, r.values()[2], dead,
          restart ? dead : 0));
    }
    return out;
  }

  /** Steps queued whose metrics have not been drained. */
  public int pendingMetrics() {
    return log.pending();
  }

  @Override
  public VqVae model() {
    return model;
  }

  @Override
  public Adam optimizer() {
    return adam;
  }

  @Override
  public long steps() {
    return step;
  }

  public double dataVariance() {
    return variance;
  }

  public Rng rng() {
    return rng;
  }

  @Override
  public void putModel(Map<String, Safetensors.Entry> tensors, Map<String, String> meta) {
    VqVaeCheckpoint.putModel(model, tensors, meta);
  }

  /** The RNG state and the data variance the loss divides by. */
  @Override
  public Map<String, String> state() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("rng_state", Long.toString(rng.state()));
    m.put("data_variance", Float.toString(variance));
    return m;
  }

  /** The data variance a trainer resuming a checkpoint is made with. */
  public static double dataVariance(TrainingCheckpoint checkpoint) throws IOException {
    double v = checkpoint.fields().parseDouble("data_variance");
    if (!(v > 0) || Double.isInfinite(v)) {
      throw new IOException(checkpoint.file() + ": metadata data_variance = " + v + " is not a finite number > 0");
    }
    return v;
  }

  @Override
  public DataParallel joinDataParallel(Communicator comm) {
    Quantizer q = model.quantizer();
    DataParallel dp = DataParallel.join(comm, model.parameters(), q.stateTensors(), adam, q);
    log.averageAcross(comm);
    return dp;
  }

  @Override
  public void restore(TrainingCheckpoint checkpoint) throws IOException {
    checkpoint.restoreOptimizer(adam);
    this.step = checkpoint.step();
    rng.restore(checkpoint.fields().parseLong("rng_state"));
  }

  @Override
  public void close() {
    adam.close();
    Buffers.close(mse, dRecon);
    log.close();
  }
}
