package ai.vq4j.train;

import ai.vq4j.checkpoint.CodeDataset;
import ai.vq4j.checkpoint.PriorCheckpoint;
import ai.vq4j.dist.Communicator;
import ai.vq4j.dist.DataParallel;
import ai.vq4j.io.Safetensors;
import ai.vq4j.model.Prior;
import ai.vq4j.nn.Buffers;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Trains a {@link Prior} of any kind on code grids: forward, mean softmax cross-entropy over every position,
 * backward, the prior's optimizer (Adam for the PixelCNN, AdamW for the Transformer). Batches come from the caller ({@link #step(Tensor, Tensor)}) or from a {@link CodeDataset} in
 * the trainer's own shuffled order ({@link #step(CodeDataset, int)}): each epoch is a permutation drawn from the
 * trainer's RNG, batches are consecutive slices of it, and a final slice shorter than the batch is skipped.
 * The RNG state at the start of the epoch, the epoch and the position in it are the data-order state a
 * checkpoint stores, so a resumed run draws the same batches as the uninterrupted one.
 *
 * <p>As in {@link VqVaeTrainer}, the {@code queueStep} methods queue a step without waiting for the device
 * and {@link #drainMetrics} reads the losses of every queued step at once; {@code step} does both.
 */
public final class PriorTrainer implements Trainer<Prior> {
  private static final double LN2 = Math.log(2);

  private final Prior prior;
  private final Adam adam;
  private final Rng rng;
  private final DeviceMetricsQueue log;
  private long step;
  private long epoch;
  private int cursor;
  private long epochRngState;
  private int[] order;
  private Tensor codes;
  private int[] batchCodes;
  private int[] batchLabels;
  private int rank;
  private int ranks = 1;

  public PriorTrainer(Prior prior, double learningRate, double weightDecay, long seed) {
    this.prior = prior;
    this.adam = new Adam(prior.parameters(), learningRate, 0.9, 0.999, 1e-8, weightDecay,
        prior.decoupledWeightDecay(), prior::decays);
    this.rng = new Rng(seed ^ 0x2545F4914F6CDD1DL);
    this.epochRngState = rng.state();
    this.log = new DeviceMetricsQueue(prior.device(), 1, VqVaeTrainer.METRICS_CAPACITY);
  }

  /**
   * One step on codes int32[N, g, g] with labels int32[N] (null for an unconditioned prior), and its loss;
   * losses of steps queued before it and not yet drained are drained with it and not returned.
   */
  public PriorStepMetrics step(Tensor codes, Tensor labels) {
    queueStep(codes, labels);
    return last(drainMetrics());
  }

  /**
   * Queues one step on codes int32[N, g, g] with labels int32[N] (or null). Labels on the device are read back
   * (one wait); {@link #queueStep(CodeDataset, int)} keeps them on the host and reads nothing back.
   */
  public void queueStep(Tensor codes, Tensor labels) {
    prior.trainingForward(codes, labels == null ? null : labels.toIntArray(), step);
    finishStep(codes);
  }

  private void finishStep(Tensor codes) {
    Tensor loss = prior.lossAndBackward(codes);
    adam.step();
    step++;
    log.record(step, loss);
  }

  @Override
  public List<PriorStepMetrics> drainMetrics() {
    List<PriorStepMetrics> out = new ArrayList<>();
    for (DeviceMetricsQueue.Row r : log.drain()) {
      double loss = r.values()[0];
      out.add(new PriorStepMetrics(r.step(), loss, loss / LN2));
    }
    return out;
  }

  private static PriorStepMetrics last(List<PriorStepMetrics> all) {
    return all.get(all.size() - 1);
  }

  /** One step on the next batch of the dataset in the trainer's shuffled order, and its loss. */
  public PriorStepMetrics step(CodeDataset data, int batchSize) {
    queueStep(data, batchSize);
    return last(drainMetrics());
  }

  /**
   * Queues one step on the next batch of the dataset in the trainer's shuffled order; reads nothing back. In a
   * data-parallel run every rank draws the same order and the global batch is the next ranks x batchSize
   * grids of it, rank r taking the r-th slice (as {@code DistributedSampler}: disjoint, seeded, the same step
   * count on every rank); the data position counts grids of the global batches, so it does not depend on
   * how many ranks share them.
   */
  public void queueStep(CodeDataset data, int batchSize) {
    int global = batchSize * ranks;
    if (batchSize < 1 || global > data.count()) {
      throw new IllegalArgumentException("batch size must be in [1, " + data.count() / ranks + "]"
          + (ranks > 1 ? " on each of " + ranks + " ranks" : "") + ", got " + batchSize);
    }
    if (data.gridSize() != prior.gridSize() || data.numCodes() != prior.numCodes()) {
      throw new IllegalArgumentException("the codes are " + data.numCodes() + " codes on " + data.gridSize() + "x"
          + data.gridSize() + " grids, the prior models " + prior.numCodes() + " on " + prior.gridSize() + "x"
          + prior.gridSize());
    }
    if (data.hasLabels() != prior.conditioned() && prior.conditioned()) {
      throw new IllegalArgumentException("the prior is class-conditioned but the codes have no labels");
    }
    if (order == null || order.length != data.count()) {
      if (cursor > data.count()) {
        throw new IllegalArgumentException("the data order (epoch " + epoch + ", position " + cursor + ") does not fit"
            + " a dataset of " + data.count() + " grids");
      }
      newEpochOrder(data.count());
    }
    if (cursor + global > order.length) {
      epoch++;
      cursor = 0;
      newEpochOrder(data.count());
    }
    int g = prior.gridSize();
    boolean withLabels = prior.conditioned();
    if (batchCodes == null || batchCodes.length != batchSize * g * g) {
      batchCodes = new int[batchSize * g * g];
      batchLabels = new int[batchSize];
    }
    data.gather(order, cursor + rank * batchSize, batchSize, batchCodes, withLabels ? batchLabels : null);
    cursor += global;
    codes = Buffers.ensure(codes, prior.device(), DType.INT32, batchSize, g, g);
    codes.copyFrom(batchCodes);
    // The labels stay in host memory: the prior uploads them, and nothing is read back.
    prior.trainingForward(codes, withLabels ? batchLabels : null, step);
    finishStep(codes);
  }

  /** The permutation of this epoch, drawn from the RNG (whose state before the draw is remembered). */
  private void newEpochOrder(int count) {
    epochRngState = rng.state();
    order = new int[count];
    for (int i = 0; i < count; i++) {
      order[i] = i;
    }
    rng.shuffle(order);
  }

  @Override
  public Prior model() {
    return prior;
  }

  @Override
  public Adam optimizer() {
    return adam;
  }

  @Override
  public long steps() {
    return step;
  }

  public Rng rng() {
    return rng;
  }

  /** The data-order state "epoch,cursor,rngStateAtEpochStart" that {@link #restore} takes back. */
  public String dataState() {
    return epoch + "," + cursor + "," + (order == null ? rng.state() : epochRngState);
  }

  @Override
  public void putModel(Map<String, Safetensors.Entry> tensors, Map<String, String> meta) {
    PriorCheckpoint.putModel(prior, tensors, meta);
  }

  @Override
  public Map<String, String> state() {
    return Map.of("data_state", dataState());
  }

  @Override
  public DataParallel joinDataParallel(Communicator comm) {
    DataParallel dp = DataParallel.join(comm, prior.parameters(), List.of(), adam, null);
    log.averageAcross(comm);
    rank = comm.rank();
    ranks = comm.worldSize();
    return dp;
  }

  /**
   * Takes back the step count and the data order of a resumed run (and the optimizer's state): the epoch's
   * permutation is drawn again from the saved RNG state at the next step, so its batch is the one the
   * uninterrupted run would have taken.
   */
  @Override
  public void restore(TrainingCheckpoint checkpoint) throws IOException {
    String dataState = checkpoint.meta("data_state");
    String[] f = dataState.split(",");
    long e;
    int c;
    long state;
    try {
      if (f.length != 3) {
        throw new NumberFormatException("3 fields expected");
      }
      e = Long.parseLong(f[0]);
      c = Integer.parseInt(f[1]);
      state = Long.parseLong(f[2]);
    } catch (NumberFormatException x) {
      throw new IOException(checkpoint.file() + ": metadata data_state must be 'epoch,cursor,rngState', got '"
          + dataState + "'", x);
    }
    if (e < 0 || c < 0) {
      throw new IOException(checkpoint.file() + ": metadata data_state '" + dataState + "' is negative");
    }
    checkpoint.restoreOptimizer(adam);
    this.step = checkpoint.step();
    this.epoch = e;
    this.cursor = c;
    this.order = null;
    rng.restore(state);
  }

  @Override
  public void close() {
    adam.close();
    Buffers.close(codes);
    log.close();
  }
}
