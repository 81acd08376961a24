package ai.vq4j.dist;

import ai.vq4j.nn.Parameter;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Averages the gradients of a list of parameters across ranks in a few large all-reduces instead of one per
 * parameter (a sonnet VQ-VAE has 30): consecutive gradients, in the order the backward pass writes them (the
 * reverse of the parameters' order), are packed into flat buckets of about bucketFloats floats (a larger
 * gradient gets a bucket of its own), each bucket is all-reduced, and the averages are copied back. The
 * buckets are allocated once.
 *
 * <p>The last bucket may carry other values that are summed, not averaged ({@link #sumWithGradients}).
 *
 * <p>When overlapped ({@link Overlap}), a bucket is sent as soon as the backward pass has written its last
 * gradient ({@link Parameter#onGradReady}), while the backward goes on with earlier layers; {@link #average}
 * sends the buckets left and waits for all. The buckets and their all-reduces are the same either way, sent
 * in the same order on every rank, so the averages are the same bits.
 */
public final class GradientBuckets implements AutoCloseable {
  /**
   * 25 MiB of float32, PyTorch DDP's default bucket cap: every all-reduce costs a fixed latency beyond its
   * bytes (about 1.5 ms over Gloo on loopback, measured on the 2-core machine: the sonnet VQ-VAE's 2.8 MB of
   * gradients blocked training 15.5-16.0 ms a step in 4 buckets of 1 MiB, 10.3-12.9 ms in one), so models of
   * a few million parameters send one bucket, and larger ones overlap all but their last with the backward.
   */
  public static final int BUCKET_FLOATS = 25 << 18;

  /** How the all-reduces overlap the backward. */
  public enum Overlap {
    /** None: every bucket is all-reduced by {@link #average}, after the backward. */
    NONE,
    /**
     * On the CPU: on a communication thread, while the training thread computes the rest of the backward; the
     * step's last bucket on the training thread, which would only wait for it (handing it over and back cost 1-3
     * ms of thread wake-ups a step on the 2-core VM).
     */
    THREAD,
    /**
     * On CUDA: on the communicator's own stream ({@link Communicator#startAllReduceMixed}), after the kernels
     * that wrote the bucket and beside those of the rest of the backward. (With Gloo, which has no stream, a
     * started all-reduce runs at once: the same bits, without the overlap.)
     */
    STREAM;

    /** THREAD on the CPU, STREAM on CUDA. */
    public static Overlap defaultFor(Device device) {
      return device.isCpu() ? THREAD : STREAM;
    }
  }

  private static final class Bucket {
    final List<Parameter> members;
    /** The packed gradients, or null for a lone gradient, all-reduced where it lies. */
    final Tensor flat;
    int waiting;
    boolean sent;

    Bucket(List<Parameter> members, Tensor flat) {
      this.members = members;
      this.flat = flat;
      this.waiting = members.size();
    }
  }

  private final Communicator comm;
  private final List<Bucket> buckets = new ArrayList<>();
  private final Map<Parameter, Bucket> bucketOf = new IdentityHashMap<>();
  /** Parameters whose gradient this step's backward has written (a container may say so twice). */
  private final Set<Parameter> ready = Collections.newSetFromMap(new IdentityHashMap<>());
  private final Overlap overlap;
  /** The communication thread of {@link Overlap#THREAD}, else null. */
  private final ExecutorService thread;
  private final List<Future<?>> inFlight = new ArrayList<>();
  private long sentDuringBackward;
  /** Values summed over the ranks with this step's last bucket ({@link #sumWithGradients}), or null. */
  private Tensor extra;
  /** The last bucket's gradients with extra appended, while extra is given. */
  private Tensor flatWithExtra;

  /** Overlapped as is the default for the device, with buckets of {@link #BUCKET_FLOATS}. */
  public GradientBuckets(Communicator comm, List<Parameter> parameters) {
    this(comm, parameters, BUCKET_FLOATS, Overlap.defaultFor(comm.device()));
  }

  public GradientBuckets(Communicator comm, List<Parameter> parameters, int bucketFloats, Overlap overlap) {
    if (bucketFloats < 1) {
      throw new IllegalArgumentException("bucket size must be >= 1 float, got " + bucketFloats);
    }
    if (overlap == Overlap.THREAD && !comm.device().isCpu()) {
      throw new IllegalArgumentException("gradients are averaged on a communication thread on the CPU only, not on "
          + comm.device() + " (there the all-reduces overlap on a stream: Overlap.STREAM)");
    }
    this.comm = comm;
    this.overlap = overlap;
    List<Parameter> current = new ArrayList<>();
    long size = 0;
    for (int i = parameters.size() - 1; i >= 0; i--) {
      Parameter p = parameters.get(i);
      if (!p.trainable()) {
        continue;
      }
      long n = p.grad().size();
      if (!current.isEmpty() && size + n > bucketFloats) {
        add(current, size);
        current = new ArrayList<>();
        size = 0;
      }
      current.add(p);
      size += n;
    }
    if (!current.isEmpty()) {
      add(current, size);
    }
    this.thread = overlap == Overlap.THREAD ? Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(() -> {
        Communicator.BACKGROUND.set(true);
        r.run();
      }, "vq4j-gradient-allreduce");
      t.setDaemon(true);
      return t;
    }) : null;
    if (overlap != Overlap.NONE) {
      for (Parameter p : bucketOf.keySet()) {
        p.onGradReady(() -> gradReady(p));
      }
    }
  }

  private void add(List<Parameter> members, long size) {
    Bucket b = new Bucket(members,
        members.size() == 1 ? null : Tensor.zeros(comm.device(), DType.FLOAT32, Math.toIntExact(size)));
    buckets.add(b);
    members.forEach(p -> bucketOf.put(p, b));
  }

  /** Called on the training thread as the backward writes p's gradient. */
  private void gradReady(Parameter p) {
    if (!ready.add(p)) {
      return;
    }
    Bucket b = bucketOf.get(p);
    // The step's last bucket is left to average(), on this thread.
    if (--b.waiting == 0 && !(overlap == Overlap.THREAD && isLastUnsent(b))) {
      send(b);
      sentDuringBackward++;
    }
  }

  /**
   * Sums t over the ranks in the all-reduce of this step's last bucket, appended to its gradients, instead of
   * in a collective of its own (the quantizer's statistics: every collective costs a fixed latency, and the
   * ranks then meet once a step). For this step only: call it after t is written and before the backward
   * writes the last bucket's gradients; t holds the sum once {@link #average} returns.
   */
  public void sumWithGradients(Tensor t) {
    if (t.device() != comm.device()) {
      throw new IllegalArgumentException("cannot sum " + t + " with gradients on " + comm.device());
    }
    Bucket last = buckets.get(buckets.size() - 1);
    if (last.sent) {
      throw new IllegalStateException("sumWithGradients: the last gradient bucket was already sent this step");
    }
    extra = t;
  }

  private boolean isLastUnsent(Bucket b) {
    for (Bucket other : buckets) {
      if (other != b && !other.sent) {
        return false;
      }
    }
    return true;
  }

  private void send(Bucket b) {
    b.sent = true;
    switch (overlap) {
      case NONE -> reduce(b);
      case THREAD -> inFlight.add(thread.submit(() -> reduce(b)));
      case STREAM -> {
        Tensor v = pack(b);
        comm.startAllReduceMixed(v, gradientSize(b));
      }
    }
  }

  private void reduce(Bucket b) {
    Tensor v = pack(b);
    comm.allReduceMixed(v, gradientSize(b));
    unpack(b);
  }

  private boolean carriesExtra(Bucket b) {
    return extra != null && b == buckets.get(buckets.size() - 1);
  }

  /** What b's all-reduce reduces: its flat buffer, its lone gradient where it lies, or either with extra. */
  private Tensor values(Bucket b) {
    if (carriesExtra(b)) {
      return flatWithExtra;
    }
    return b.flat == null ? b.members.get(0).grad() : b.flat;
  }

  private static long gradientSize(Bucket b) {
    long n = 0;
    for (Parameter p : b.members) {
      n += p.grad().size();
    }
    return n;
  }

  /** b's gradients (and extra) where its all-reduce reads them; returns that tensor. */
  private Tensor pack(Bucket b) {
    if (carriesExtra(b)) {
      long n = gradientSize(b) + extra.size();
      if (flatWithExtra == null || flatWithExtra.size() != n) {
        if (flatWithExtra != null) {
          flatWithExtra.close();
        }
        flatWithExtra = Tensor.zeros(comm.device(), DType.FLOAT32, Math.toIntExact(n));
      }
    }
    Tensor v = values(b);
    if (v != b.members.get(0).grad()) {
      long at = 0;
      for (Parameter p : b.members) {
        v.copyElements(p.grad(), 0, at, p.grad().size());
        at += p.grad().size();
      }
      if (carriesExtra(b)) {
        v.copyElements(extra, 0, at, extra.size());
      }
    }
    return v;
  }

  private void unpack(Bucket b) {
    Tensor v = values(b);
    if (v != b.members.get(0).grad()) {
      long at = 0;
      for (Parameter p : b.members) {
        p.grad().copyElements(v, at, 0, p.grad().size());
        at += p.grad().size();
      }
      if (carriesExtra(b)) {
        extra.copyElements(v, at, 0, extra.size());
      }
    }
  }

  /**
   * Every rank's gradients become the mean of all ranks' gradients: the buckets not yet sent are sent, and
   * all are waited for. Call once the backward is complete.
   */
  public void average() {
    try {
      if (overlap == Overlap.THREAD) {
        awaitInFlight();
        for (Bucket b : buckets) {
          if (!b.sent) {
            b.sent = true;
            reduce(b);
          }
        }
      } else {
        for (Bucket b : buckets) {
          if (!b.sent) {
            send(b);
          }
        }
        if (overlap == Overlap.STREAM) {
          comm.waitStarted();
          buckets.forEach(this::unpack);
        }
      }
    } finally {
      inFlight.clear();
      ready.clear();
      extra = null;
      for (Bucket b : buckets) {
        b.waiting = b.members.size();
        b.sent = false;
      }
    }
  }

  /** Waits for the communication thread's all-reduces, the wait counted as blocking training. */
  private void awaitInFlight() {
    long t0 = System.nanoTime();
    try {
      for (Future<?> f : inFlight) {
        f.get();
      }
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException("gradient all-reduce failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while averaging gradients", e);
    } finally {
      comm.recordWait(System.nanoTime() - t0);
    }
  }

  /** How many all-reduces one {@link #average} makes. */
  public int bucketCount() {
    return buckets.size();
  }

  public Overlap overlap() {
    return overlap;
  }

  /** Buckets sent before {@link #average} was called, over all steps so far (none when not overlapped). */
  public long sentDuringBackward() {
    return sentDuringBackward;
  }

  @Override
  public void close() {
    bucketOf.keySet().forEach(p -> p.onGradReady(null));
    if (thread != null) {
      thread.shutdownNow();
    }
    buckets.stream().filter(b -> b.flat != null).forEach(b -> b.flat.close());
    if (flatWithExtra != null) {
      flatWithExtra.close();
    }
  }
}
