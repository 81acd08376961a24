package ai.vq4j.data;

import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Tensor;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Cuts an {@link ImageSet} into batches of a fixed size, in a seeded shuffled order, into arrays or
 * tensors the caller allocated once: nothing is allocated per batch (the training loop reuses its
 * buffers, as the layers do).
 *
 * <p><b>Order.</b> Epoch e visits the images in a permutation that depends only on the seed and e:
 * a Fisher–Yates shuffle (i from n-1 down to 1, swap i with j uniform in [0, i]) driven by SplitMix64
 * (Steele, Lea and Flood, 2014) seeded with {@code mix64(seed + 0x9E3779B97F4A7C15 * (e + 1))}, bounded
 * integers by Lemire's multiply-and-reject. The generator is written out here rather than borrowed from
 * {@code java.util} so the order is the same on every JDK. Because the permutation is a function of
 * (seed, epoch), the whole state of the batcher is (seed, epoch, batch within the epoch): a trainer
 * saves {@link #state()} in its checkpoint and {@link #restore(State)} continues exactly where the run
 * stopped. Without shuffling every epoch is 0..n-1 in order (for evaluation).
 *
 * <p><b>Last batch.</b> With drop-last, an epoch is ⌊n/B⌋ full batches and the leftover images are not
 * seen that epoch (a new permutation next epoch will show them); without, the last batch is partial:
 * {@link #next} says how many images it filled and zero-fills the rest of the arrays. Epochs follow each
 * other without end; {@link #epoch()} and {@link #batchInEpoch()} say where the batcher stands.
 *
 * <p><b>Sharding</b> (data-parallel training, {@link Builder#shard}): rank r of W ranks takes block r of
 * each global batch of W × batchSize consecutive images of the epoch's permutation, like PyTorch's
 * DistributedSampler (disjoint, seeded, the same number of batches on every rank) except that a rank's share
 * is a contiguous block rather than every W-th image: the global batch, in rank order, is then exactly the
 * batch of one process at batch size W × batchSize, so both runs see the same data in the same order. Drop-
 * last is required (an epoch is ⌊n / (W × batchSize)⌋ global batches).
 *
 * <p><b>Streaming</b>: over {@link StreamedImages} the batcher decodes the next batches ahead of the loop on the
 * set's background threads, at most {@link #AHEAD_PER_THREAD} batches a thread in flight (a bounded queue), each
 * batch's images tied to its position in the order, so the batches are the same as over the set loaded in
 * memory. Then it allocates each batch's values as it decodes them, and {@link #close} stops the threads.
 */
public final class Batcher implements AutoCloseable {
  /** Batches decoded ahead, per decoding thread, for a streamed set. */
  public static final int AHEAD_PER_THREAD = 2;

  private final ImageSet data;
  private final int batchSize;
  private final boolean shuffle;
  private final boolean dropLast;
  private final long seed;
  private final int rank;
  private final int ranks;
  private final int batchesPerEpoch;
  private final int[] order;
  private long epoch;
  private int batch;
  private float[] scratchImages;
  private int[] scratchLabels;
  /** For a streamed set: the decoding threads, and the batches they decode ahead, oldest first. */
  private final ExecutorService decoders;
  private final ArrayDeque<Future<float[]>> ahead = new ArrayDeque<>();
  private long aheadEpoch;
  private int aheadBatch;
  private int[] aheadOrder;

  private Batcher(Builder b) {
    this.data = b.data;
    this.batchSize = b.batchSize;
    this.shuffle = b.shuffle;
    this.dropLast = b.dropLast;
    this.seed = b.seed;
    this.rank = b.rank;
    this.ranks = b.ranks;
    if (ranks > 1 && !dropLast) {
      throw new IllegalArgumentException("a batcher sharded over " + ranks + " ranks needs drop-last");
    }
    int n = data.size();
    long global = (long) batchSize * ranks;
    this.batchesPerEpoch = dropLast ? (int) (n / global) : (n + batchSize - 1) / batchSize;
    if (batchesPerEpoch == 0) {
      throw new IllegalArgumentException(data.name() + ": " + n + " images make no full batch of " + global
          + (ranks > 1 ? " (" + ranks + " ranks x " + batchSize + ")" : "") + " with drop-last");
    }
    this.order = new int[n];
    this.decoders = data instanceof StreamedImages s ? Executors.newFixedThreadPool(s.threads(), r -> {
      Thread t = new Thread(r, "vq4j-decode");
      t.setDaemon(true);
      return t;
    }) : null;
    startEpoch(0);
    restartAhead();
  }

  /** Starts configuring a batcher over data with batches of batchSize images. */
  public static Builder builder(ImageSet data, int batchSize) {
    return new Builder(data, batchSize);
  }

  /** Options of a {@link Batcher}: shuffled with seed 0 and drop-last unless told otherwise. */
  public static final class Builder {
    private final ImageSet data;
    private final int batchSize;
    private long seed;
    private boolean shuffle = true;
    private boolean dropLast = true;
    private int rank;
    private int ranks = 1;

    private Builder(ImageSet data, int batchSize) {
      if (batchSize <= 0) {
        throw new IllegalArgumentException("batch size must be positive, not " + batchSize);
      }
      this.data = data;
      this.batchSize = batchSize;
    }

    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** false: every epoch in dataset order. */
    public Builder shuffle(boolean shuffle) {
      this.shuffle = shuffle;
      return this;
    }

    /** false: the last batch of an epoch may be partial. */
    public Builder dropLast(boolean dropLast) {
      this.dropLast = dropLast;
      return this;
    }

    /** This batcher serves rank's block of each global batch of ranks × batchSize (see the class comment). */
    public Builder shard(int rank, int ranks) {
      if (ranks < 1 || rank < 0 || rank >= ranks) {
        throw new IllegalArgumentException("shard: rank " + rank + " is not in [0, " + ranks + ")");
      }
      this.rank = rank;
      this.ranks = ranks;
      return this;
    }

    public Batcher build() {
      return new Batcher(this);
    }
  }

  public ImageSet dataset() {
    return data;
  }

  public int batchSize() {
    return batchSize;
  }

  public int batchesPerEpoch() {
    return batchesPerEpoch;
  }

  /** The epoch the next batch belongs to (0 first); equals the number of completed epochs. */
  public long epoch() {
    return epoch;
  }

  /** The index of the next batch within its epoch. */
  public int batchInEpoch() {
    return batch;
  }

  /** A copy of the current epoch's visiting order. */
  public int[] epochOrder() {
    return order.clone();
  }

  /**
   * Fills the next batch: images as [batchSize, H, W, C] floats (the dataset's values: call
   * {@link Dataset#scaled()} first to train on [-0.5, 0.5]) and labels as batchSize ints.
   *
   * @param images exactly batchSize × H × W × C floats
   * @param labels batchSize ints, or null; must be null for a set without labels
   * @return how many images were filled: batchSize, or fewer for the last batch without drop-last
   */
  public int next(float[] images, int[] labels) {
    int per = data.imageSize();
    if (images.length != batchSize * per) {
      throw new IllegalArgumentException("next: images array of " + images.length + " floats, a batch of "
          + batchSize + " x " + data.height() + "x" + data.width() + "x" + data.channels() + " needs "
          + batchSize * per);
    }
    checkLabels(labels == null ? -1 : labels.length);
    int start = (batch * ranks + rank) * batchSize;
    int count = Math.min(batchSize, data.size() - start);
    if (decoders != null) {
      float[] decoded = takeAhead();
      System.arraycopy(decoded, 0, images, 0, decoded.length);
    }
    for (int k = 0; k < count; k++) {
      int i = order[start + k];
      if (decoders == null) {
        data.copyImage(i, images, k * per);
      }
      if (labels != null) {
        labels[k] = data.label(i);
      }
    }
    if (count < batchSize) {
      Arrays.fill(images, count * per, images.length, 0f);
      if (labels != null) {
        Arrays.fill(labels, count, labels.length, 0);
      }
    }
    if (++batch == batchesPerEpoch) {
      startEpoch(epoch + 1);
    }
    return count;
  }

  /**
   * Fills the next batch into tensors on any device: images float32 [batchSize, H, W, C], labels int32
   * [batchSize] or null. Host staging arrays are allocated on the first call and reused.
   */
  public int next(Tensor images, Tensor labels) {
    int[] want = {batchSize, data.height(), data.width(), data.channels()};
    if (images.dtype() != DType.FLOAT32 || !Arrays.equals(images.shape(), want)) {
      throw new IllegalArgumentException("next: images tensor " + images.describe() + ", a batch needs float32"
          + Arrays.toString(want));
    }
    if (labels != null && (labels.dtype() != DType.INT32 || !Arrays.equals(labels.shape(), new int[] {batchSize}))) {
      throw new IllegalArgumentException("next: labels tensor " + labels.describe() + ", a batch needs int32["
          + batchSize + "]");
    }
    checkLabels(labels == null ? -1 : batchSize);
    if (scratchImages == null) {
      scratchImages = new float[batchSize * data.imageSize()];
    }
    if (labels != null && scratchLabels == null) {
      scratchLabels = new int[batchSize];
    }
    int count = next(scratchImages, labels == null ? null : scratchLabels);
    images.copyFrom(scratchImages);
    if (labels != null) {
      labels.copyFrom(scratchLabels);
    }
    return count;
  }

  private void checkLabels(int length) {
    if (length < 0) {
      return;
    }
    if (!data.hasLabels()) {
      throw new IllegalArgumentException("next: " + data.name() + " has no labels; pass null for them");
    }
    if (length != batchSize) {
      throw new IllegalArgumentException("next: labels array of " + length + ", a batch needs " + batchSize);
    }
  }

  /**
   * Where the batcher stands, with the options that must match on restore. A sharded batcher records the
   * global batch size (ranks × batchSize): its position is one of global batches, so a run may resume it with
   * another number of ranks that divides the same global batch.
   */
  public State state() {
    return new State(seed, epoch, batch, data.size(), batchSize * ranks, shuffle, dropLast);
  }

  /**
   * Continues from a saved state: the next batch is the one that would have followed when it was saved.
   * The state must come from a batcher with the same seed, options and dataset size.
   */
  public void restore(State s) {
    State mine = state();
    if (s.seed() != seed || s.datasetSize() != data.size() || s.batchSize() != batchSize * ranks
        || s.shuffle() != shuffle || s.dropLast() != dropLast) {
      throw new IllegalArgumentException("restore: saved state " + s.encode() + " does not match this batcher "
          + mine.encode() + " (seed, set size, batch size and options must agree)");
    }
    if (s.epoch() < 0 || s.batch() < 0 || s.batch() >= batchesPerEpoch) {
      throw new IllegalArgumentException("restore: saved state " + s.encode() + " is outside epochs of "
          + batchesPerEpoch + " batches");
    }
    startEpoch(s.epoch());
    batch = s.batch();
    restartAhead();
  }

  /** Stops the decoding threads of a streamed set; nothing for a set in memory. */
  @Override
  public void close() {
    if (decoders != null) {
      ahead.forEach(f -> f.cancel(true));
      ahead.clear();
      decoders.shutdownNow();
    }
  }

  /** The images of batch b of an epoch visiting the set in the given order. */
  private int[] batchImages(int[] epochOrder, int b) {
    int start = (b * ranks + rank) * batchSize;
    return Arrays.copyOfRange(epochOrder, start, Math.min(start + batchSize, data.size()));
  }

  /** Drops the batches decoded ahead and starts again from the batcher's position. */
  private void restartAhead() {
    if (decoders == null) {
      return;
    }
    ahead.forEach(f -> f.cancel(true));
    ahead.clear();
    aheadEpoch = epoch;
    aheadBatch = batch;
    aheadOrder = order.clone();
    fillAhead();
  }

  /** Queues batches for decoding until the queue is full; each task decodes one batch in order. */
  private void fillAhead() {
    int depth = AHEAD_PER_THREAD * ((StreamedImages) data).threads();
    int per = data.imageSize();
    while (ahead.size() < depth) {
      int[] images = batchImages(aheadOrder, aheadBatch);
      ahead.add(decoders.submit(() -> {
        float[] values = new float[images.length * per];
        for (int k = 0; k < images.length; k++) {
          data.copyImage(images[k], values, k * per);
        }
        return values;
      }));
      if (++aheadBatch == batchesPerEpoch) {
        aheadEpoch++;
        aheadBatch = 0;
        permute(aheadOrder, aheadEpoch);
      }
    }
  }

  /** The next batch's decoded values (a wait when the threads are behind); queues the one after the last. */
  private float[] takeAhead() {
    Future<float[]> next = ahead.remove();
    fillAhead();
    try {
      return next.get();
    } catch (ExecutionException e) {
      restartAhead();  // the same batch again, should the caller retry
      if (e.getCause() instanceof UncheckedIOException io) {
        throw io;
      }
      throw new IllegalStateException(data.name() + ": decoding a batch failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(data.name() + ": interrupted while waiting for a batch", e);
    } catch (CancellationException e) {
      throw new IllegalStateException(data.name() + ": the batcher was closed", e);
    }
  }

  /**
   * A batcher's position and options. {@link #encode()} gives one line of text, for a checkpoint's
   * metadata, that {@link #parse(String)} reads back.
   */
  public record State(long seed, long epoch, int batch, int datasetSize, int batchSize, boolean shuffle,
      boolean dropLast) {
    /** E.g. {@code seed=42;epoch=3;batch=17;size=60000;batchSize=32;shuffle=true;dropLast=true}. */
    public String encode() {
      return "seed=" + seed + ";epoch=" + epoch + ";batch=" + batch + ";size=" + datasetSize + ";batchSize="
          + batchSize + ";shuffle=" + shuffle + ";dropLast=" + dropLast;
    }

    /** Reads what {@link #encode()} wrote; anything else is an IllegalArgumentException quoting it. */
    public static State parse(String text) {
      String[] keys = {"seed", "epoch", "batch", "size", "batchSize", "shuffle", "dropLast"};
      String[] parts = text.split(";", -1);
      if (parts.length != keys.length) {
        throw new IllegalArgumentException("not a batcher state: '" + text + "'");
      }
      String[] v = new String[keys.length];
      for (int i = 0; i < keys.length; i++) {
        if (!parts[i].startsWith(keys[i] + "=")) {
          throw new IllegalArgumentException("not a batcher state (expected " + keys[i] + "=…): '" + text + "'");
        }
        v[i] = parts[i].substring(keys[i].length() + 1);
      }
      try {
        return new State(Long.parseLong(v[0]), Long.parseLong(v[1]), Integer.parseInt(v[2]),
            Integer.parseInt(v[3]), Integer.parseInt(v[4]), bool(v[5], text), bool(v[6], text));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a batcher state (bad number): '" + text + "'", e);
      }
    }

    private static boolean bool(String s, String text) {
      if (!s.equals("true") && !s.equals("false")) {
        throw new IllegalArgumentException("not a batcher state (bad boolean): '" + text + "'");
      }
      return s.equals("true");
    }
  }

  private void startEpoch(long e) {
    epoch = e;
    batch = 0;
    permute(order, e);
  }

  /** Fills dst with epoch e's visiting order. */
  private void permute(int[] dst, long e) {
    int n = dst.length;
    for (int i = 0; i < n; i++) {
      dst[i] = i;
    }
    if (!shuffle) {
      return;
    }
    long[] state = {mix64(seed + 0x9E3779B97F4A7C15L * (e + 1))};
    for (int i = n - 1; i > 0; i--) {
      int j = bounded(state, i + 1);
      int t = dst[i];
      dst[i] = dst[j];
      dst[j] = t;
    }
  }

  /** SplitMix64: advances the state by the golden gamma and returns the mixed value. */
  private static long splitMix64(long[] state) {
    state[0] += 0x9E3779B97F4A7C15L;
    return mix64(state[0]);
  }

  private static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Uniform in [0, bound) by Lemire's multiply-shift with rejection (unbiased). */
  private static int bounded(long[] state, int bound) {
    long m = (splitMix64(state) >>> 32) * bound;
    long low = m & 0xffffffffL;
    if (low < bound) {
      long threshold = (0x100000000L - bound) % bound;
      while (low < threshold) {
        m = (splitMix64(state) >>> 32) * bound;
        low = m & 0xffffffffL;
      }
    }
    return (int) (m >>> 32);
  }
}
