package ai.vq4j.nn;

import ai.vq4j.dist.Communicator;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * The vector quantizer (paper section 3.1): each D-vector of z_e[N, H, W, D] is replaced by its nearest
 * codebook row (L2, ties to the lowest index), with the straight-through gradient to z_e. The two variants
 * differ in how the codebook learns: {@link GradientCodebookQuantizer} by the codebook loss, {@link
 * EmaCodebookQuantizer} by exponential moving averages. Both track, every training step, the perplexity of
 * code use and an EMA of each code's use, and can restart dead codes (Jukebox): a code whose usage EMA
 * falls under a threshold takes a random encoder output of the current batch.
 *
 * <p>The gradient reaches z_e by a straight copy, or by the rotation trick ({@link Gradient#ROTATION}). With
 * l2-normalised codes (ViT-VQGAN, Yu et al. 2021) z_e and the codebook rows are put on the unit sphere before
 * the lookup, so the nearest code is the nearest by cosine, and the losses, z_q and the gradients are those of
 * the normalised vectors, taken back through the normalisation.
 *
 * <p>A training step's statistics come in three parts: {@link #forward} takes the batch's per-code counts
 * (and, for the EMA codebook, sums), {@link #prepareStep} (before the backward) the restart candidates, and
 * {@link #finishStep}, once the step's backward and optimizer update are done, turns them into the
 * perplexity, the EMA update, the usage EMA and the dead-code restarts.
 *
 * <p>Data-parallel ({@link #shareBatchesWith}): the codebook's training statistics are those of the global
 * batch. {@link #prepareStep} hands every rank's counts, EMA sums and restart candidates to the gradient
 * all-reduce, which sums them in its last bucket, so a step synchronises the ranks once: what the ranks
 * exchange does not grow with the batch (K + 2 K D floats), and every rank then makes the same update,
 * usage and restart decisions from the same global numbers, so the codebooks stay identical and equal to
 * that of one process on the ranks' batches concatenated in rank order (restart rows are drawn from that
 * concatenation by {@link Ops#vqRestartCandidates}). The loss and the gradients stay local (the trainer
 * averages the gradients).
 */
public abstract class Quantizer implements AutoCloseable {
  /** How dL/dz_q becomes dL/dz_e. */
  public enum Gradient {
    /** Copied (paper section 3.2). */
    STRAIGHT_THROUGH("straight-through"),
    /**
     * Through the rotation and rescaling that maps z_e onto z_q, held constant (Fifty et al. 2024): the
     * gradient keeps the angle between z_e and its code, so vectors inside one code's cell move apart.
     */
    ROTATION("rotation");

    private final String label;

    Gradient(String label) {
      this.label = label;
    }

    /** The config and CLI spelling. */
    public String label() {
      return label;
    }

    public static Gradient of(String label) {
      for (Gradient g : values()) {
        if (g.label.equals(label)) {
          return g;
        }
      }
      throw new IllegalArgumentException("unknown quantizer gradient '" + label + "' (known: straight-through, rotation)");
    }
  }

  /** Usage EMA decay: a code unused for n steps has usage 0.99^n of what it had. */
  static final double USAGE_DECAY = 0.99;

  protected final int k;
  protected final int d;
  protected final float beta;
  protected final Device device;
  protected final Parameter codebook;
  private final Gradient gradient;
  private final boolean l2Codes;
  private final float deadCodeThreshold;
  private final Tensor usage;
  private final Tensor restarted;
  private final Tensor dead;
  private Tensor zE;
  /** What the lookup saw: z_e, or z_e normalised. */
  private Tensor zL;
  private Tensor zN;
  private Tensor bookN;
  private Tensor dzN;
  private Tensor dBookN;
  private Tensor codes;
  /** Whether the last forward was a training one (its sums taken). */
  private boolean trainingForward;
  private Communicator comm;
  /** Sums a tensor over the ranks before the optimizer step (with the gradients), for {@link #prepareStep}. */
  private Consumer<Tensor> sumOverRanks;
  /** Whether {@link #prepareStep} followed the last forward, and with restart on. */
  private boolean prepared;
  private boolean restartPrepared;
  private Tensor globalZE;
  /** The EMA variant's per-code sums of the last training forward, [K, D]. */
  private Tensor sums;
  private Tensor candidates;
  /** counts, sums and candidates packed for their all-reduce. */
  private Tensor packed;
  private Tensor zQ;
  private Tensor dzE;
  private Tensor dzRot;
  private final Tensor loss;
  private final Tensor counts;
  private final Tensor perplexity;

  protected Quantizer(String name, Device device, Rng rng, int k, int d, float beta, float deadCodeThreshold,
      boolean trainable, Gradient gradient, boolean l2Codes) {
    if (k < 1 || d < 1) {
      throw new IllegalArgumentException("quantizer needs K >= 1 and D >= 1, got K = " + k + ", D = " + d);
    }
    this.k = k;
    this.d = d;
    this.beta = beta;
    this.device = device;
    this.deadCodeThreshold = deadCodeThreshold;
    this.gradient = gradient;
    this.l2Codes = l2Codes;
    float[] init = new float[k * d];
    for (int i = 0; i < init.length; i++) {
      init[i] = (float) ((rng.nextDouble() * 2 - 1) / k);
    }
    this.codebook = new Parameter(name + ".codebook", device, init, trainable, k, d);
    float[] ones = new float[k];
    Arrays.fill(ones, 1f);
    this.usage = Tensor.of(device, ones, k);
    this.restarted = Tensor.zeros(device, DType.INT32, k);
    this.dead = Tensor.zeros(device, DType.FLOAT32, 1);
    this.loss = Tensor.zeros(device, DType.FLOAT32, 1);
    this.counts = Tensor.zeros(device, DType.FLOAT32, k);
    this.perplexity = Tensor.zeros(device, DType.FLOAT32, 1);
  }

  /**
   * z_q for z_e[..., D]; in training, also the variant's codebook update. The returned tensor, the codes,
   * the loss and the statistics stay valid until the next call.
   */
  public Tensor forward(Tensor zE, boolean training) {
    if (zE.dim(-1) != d) {
      throw new IllegalArgumentException("quantizer: z_e must end in D = " + d + ", got " + zE.describe());
    }
    this.zE = zE;
    int[] shape = zE.shape();
    codes = Buffers.ensure(codes, device, DType.INT32, Arrays.copyOf(shape, shape.length - 1));
    zQ = Buffers.ensure(zQ, device, shape);
    zL = zE;
    Tensor book = codebook.value();
    if (l2Codes) {
      zN = Buffers.ensure(zN, device, shape);
      bookN = Buffers.ensure(bookN, device, k, d);
      Ops.l2NormalizeForward(zE, zN);
      Ops.l2NormalizeForward(book, bookN);
      zL = zN;
      book = bookN;
    }
    quantize(zL, book, codes, zQ);
    Ops.vqLoss(zL, zQ, loss);
    trainingForward = training;
    prepared = false;
    sums = training && needsSums() ? Buffers.ensure(sums, device, k, d) : sums;
    Ops.vqCodeSums(codes, training && needsSums() ? zE : null, counts, training && needsSums() ? sums : null);
    return zQ;
  }

  /** codes and z_q for z: the nearest row of book, unless the variant quantizes otherwise. */
  protected void quantize(Tensor z, Tensor book, Tensor codes, Tensor zQ) {
    Ops.vqQuantizeForward(z, book, codes, zQ);
  }

  /**
   * From now on, training statistics are taken over the global batch of comm's ranks (see the class
   * comment): sumOverRanks must sum the tensor it is given over the ranks by the time the step's optimizer
   * update is done (the gradient buckets' last all-reduce). Every rank must then call {@link #prepareStep}
   * and {@link #finishStep} after each training {@link #forward}, and {@link #initFromData}, together, with
   * batches of the same size.
   */
  public void shareBatchesWith(Communicator comm, Consumer<Tensor> sumOverRanks) {
    if (comm.device() != device) {
      throw new IllegalArgumentException("quantizer on " + device + " cannot share batches over a communicator on "
          + comm.device());
    }
    this.comm = comm;
    this.sumOverRanks = sumOverRanks;
  }

  /** Whether the variant's update needs the per-code sums of z_e. */
  protected boolean needsSums() {
    return false;
  }

  /** local[N, ...] of every rank, in rank order: [worldSize * N, ...], in buffer (grown to fit). */
  private Tensor gather(Tensor buffer, Tensor local) {
    int[] shape = local.shape().clone();
    shape[0] *= comm.worldSize();
    Tensor all = Buffers.ensure(buffer, device, local.dtype(), shape);
    comm.allGather(local, all);
    return all;
  }

  /**
   * The variant's codebook update from the step's (global) per-code counts[K] and, where {@link #needsSums},
   * sums[K, D] (none for the loss-trained codebook).
   */
  protected abstract void update(Tensor counts, Tensor sums);

  /** The weight of mean||z_e - z_q||^2 in this variant's loss. */
  public abstract float lossWeight();

  /**
   * dz_e from dz_q: straight-through (or rotated) plus beta times the commitment gradient; the codebook
   * gradient too.
   */
  public Tensor backward(Tensor dzQ) {
    dzE = Buffers.ensure(dzE, device, zE.shape());
    Tensor through = dzQ;
    if (gradient == Gradient.ROTATION) {
      dzRot = Buffers.ensure(dzRot, device, zE.shape());
      Ops.vqRotateGrad(zL, zQ, dzQ, dzRot);
      through = dzRot;
    }
    boolean trainable = codebook.trainable();
    if (!l2Codes) {
      Ops.vqQuantizeBackward(zE, zQ, codes, through, dzE, trainable ? codebook.grad() : null, beta, 1f);
      return dzE;
    }
    dzN = Buffers.ensure(dzN, device, zE.shape());
    dBookN = trainable ? Buffers.ensure(dBookN, device, k, d) : null;
    Ops.vqQuantizeBackward(zL, zQ, codes, through, dzN, dBookN, beta, 1f);
    Ops.l2NormalizeBackward(zE, dzN, dzE);
    if (trainable) {
      Ops.l2NormalizeBackward(codebook.value(), dBookN, codebook.grad());
    }
    return dzE;
  }

  public boolean l2Codes() {
    return l2Codes;
  }

  /** z_e of the last forward. */
  protected Tensor lastInput() {
    return zE;
  }

  public Gradient gradient() {
    return gradient;
  }

  /** mean||z_e - z_q||^2 of the last forward (one float, on the device). */
  public Tensor rawLoss() {
    return loss;
  }

  /** The codes of the last forward: int32[N, H, W]. */
  public Tensor codes() {
    return codes;
  }

  public Tensor counts() {
    return counts;
  }

  public Tensor perplexity() {
    return perplexity;
  }

  public Parameter codebook() {
    return codebook;
  }

  public int numCodes() {
    return k;
  }

  public int dim() {
    return d;
  }

  public float beta() {
    return beta;
  }

  /**
   * Codes whose usage EMA was under the threshold at the last {@link #finishStep} (before any restart).
   * Reads the device; a training loop reads {@link #deadCodeCount} with its other metrics instead.
   */
  public int deadCodes() {
    return Math.round(dead.item());
  }

  /** The dead-code count of the last {@link #finishStep} as a one-element float32 tensor on the device. */
  public Tensor deadCodeCount() {
    return dead;
  }

  /** int32[K]: 1 for each code the last {@link #finishStep} restarted, else 0 (on the device). */
  public Tensor restartedMask() {
    return restarted;
  }

  /** The usage EMA of each code (a copy, read from the device), for checkpoints. */
  public float[] usage() {
    return usage.toFloatArray();
  }

  public void restoreUsage(float[] saved) {
    if (saved.length != k) {
      throw new IllegalArgumentException("usage: expected " + k + " values, got " + saved.length);
    }
    usage.copyFrom(saved);
  }

  /**
   * After a training forward and before its backward: with restart on, the row of the (global) batch each
   * code restarts from if it dies this step, drawn from key; data-parallel, the step's counts, sums and
   * candidates go to the ranks' sum (see {@link #shareBatchesWith}).
   */
  public void prepareStep(boolean restart, long key) {
    if (zE == null) {
      throw new IllegalStateException("quantizer: prepareStep needs a forward first");
    }
    boolean global = comm != null && trainingForward;
    if (restart) {
      candidates = Buffers.ensure(candidates, device, k, d);
      long local = zE.size() / d;
      Ops.vqRestartCandidates(zE, candidates, global ? comm.rank() * local : 0,
          global ? comm.worldSize() * local : local, key);
    }
    prepared = true;
    restartPrepared = restart;
    if (global) {
      packed = Buffers.ensure(packed, device, Math.toIntExact(packedSize()));
      copyPacked(true);
      sumOverRanks.accept(packed);
    }
  }

  /**
   * Ends a step's statistics, after its backward and optimizer update: the perplexity, the variant's codebook
   * update (after a training forward), and the usage EMA, folded from the counts, with the dead codes
   * counted. With restart on at {@link #prepareStep}, each dead code is reset to its candidate row (and its
   * usage to 1, its EMA statistics to the new row), and marked in {@link #restartedMask} so that the optimizer
   * can reset its state. Data-parallel, on the ranks' summed statistics. Nothing is read back: the step does
   * not wait for the device.
   */
  public void finishStep() {
    if (zE == null) {
      throw new IllegalStateException("quantizer: finishStep needs a forward first");
    }
    boolean global = comm != null && trainingForward;
    if (global && !prepared) {
      throw new IllegalStateException("quantizer: data-parallel steps need prepareStep before the backward");
    }
    if (global) {
      copyPacked(false);
    }
    boolean restart = prepared && restartPrepared;
    Ops.vqStats(counts, perplexity);
    if (trainingForward) {
      update(counts, stepSums());
    }
    Ops.vqDeadCodes(counts, usage, restart ? candidates : null, codebook.value(), emaCount(), emaSum(), restarted,
        dead, USAGE_DECAY, deadCodeThreshold, restart);
  }

  private Tensor stepSums() {
    return trainingForward && needsSums() ? sums : null;
  }

  private long packedSize() {
    long size = counts.size();
    size += stepSums() == null ? 0 : sums.size();
    size += restartPrepared ? candidates.size() : 0;
    return size;
  }

  /** counts, sums and candidates (those of this step) into packed, or back. */
  private void copyPacked(boolean in) {
    long at = 0;
    for (Tensor t : new Tensor[] {counts, stepSums(), restartPrepared ? candidates : null}) {
      if (t != null) {
        if (in) {
          packed.copyElements(t, 0, at, t.size());
        } else {
          t.copyElements(packed, at, 0, t.size());
        }
        at += t.size();
      }
    }
  }

  /** The EMA variant's statistics N[K] and m[K, D], reset with restarted codes; null for the others. */
  protected Tensor emaCount() {
    return null;
  }

  protected Tensor emaSum() {
    return null;
  }

  /** Lets a variant restart its own statistics from the current codebook. */
  protected void resetVariantStatistics() {}

  /**
   * Sets the codebook from z_e (which must hold at least k vectors), so that every code starts where the
   * encoder puts its outputs: with kmeansIterations = 0, k distinct random rows; else k-means++ seeding and
   * that many Lloyd iterations ({@link KMeans}), which spreads the codes over the outputs' clusters.
   */
  public void initFromData(Tensor zE, Rng rng, int kmeansIterations) {
    float[] z;
    if (comm != null) {
      globalZE = gather(globalZE, zE);  // every rank draws the same rows of the global batch
      z = globalZE.toFloatArray();
    } else {
      z = zE.toFloatArray();
    }
    int rows = z.length / d;
    if (rows < k) {
      throw new IllegalArgumentException("codebook init from data needs at least K = " + k + " vectors, the batch has "
          + rows + " (use a larger batch, or turn the option off)");
    }
    if (kmeansIterations > 0) {
      codebook.value().copyFrom(KMeans.fit(device, z, d, k, kmeansIterations, rng));
      resetCodeStatistics();
      return;
    }
    int[] order = new int[rows];
    for (int i = 0; i < rows; i++) {
      order[i] = i;
    }
    rng.shuffle(order);
    float[] book = new float[k * d];
    for (int j = 0; j < k; j++) {
      System.arraycopy(z, order[j] * d, book, j * d, d);
    }
    codebook.value().copyFrom(book);
    resetCodeStatistics();
  }

  /**
   * Forgets every code's history: usage back to 1, and the variant's statistics restarted from the current
   * codebook (for the EMA variant N_i = 1, m_i = e_i). For a codebook set from outside, e.g. in tests.
   */
  public void resetCodeStatistics() {
    float[] ones = new float[k];
    Arrays.fill(ones, 1f);
    usage.copyFrom(ones);
    resetVariantStatistics();
  }

  /** Named state besides the codebook (EMA statistics), for checkpoints. */
  public List<Tensor> stateTensors() {
    return List.of();
  }

  public List<String> stateNames() {
    return List.of();
  }

  @Override
  public void close() {
    codebook.close();
    Buffers.close(codes, zQ, dzE, dzRot, zN, bookN, dzN, dBookN, loss, counts, perplexity, usage, restarted, dead, globalZE,
        sums, candidates, packed);
  }
}
