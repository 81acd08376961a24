package ai.vq4j.dist;

import static ai.vq4j.bridge.Vq4jNative.*;

import ai.vq4j.bridge.Vq4jNative.vq4j_comm;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import ai.vq4j.tensor.Vq4jException;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import org.bytedeco.javacpp.FloatPointer;

/**
 * One rank's end of a group of processes that run collectives together, over the tensors of one device:
 * Gloo (TCP) on the CPU, NCCL on a CUDA device, or Gloo for a CUDA device through host copies ({@link
 * Backend#GLOO}). Every rank must call the same collectives in the same order
 * with tensors of the same sizes. Every call is bounded by the timeout: a rank that dies or stalls, or that
 * was started with another world size, makes the others throw a {@link Vq4jException} whose message names
 * the rank and the operation ("rank 0 of 2: all_reduce: ... Connection closed by peer"). After such an
 * error the communicator is unusable; close it and end the process.
 */
public final class Communicator implements AutoCloseable {
  /** Set on threads that communicate while training goes on ({@link GradientBuckets}'): not blocking time. */
  static final ThreadLocal<Boolean> BACKGROUND = ThreadLocal.withInitial(() -> false);

  /** The collective engine. */
  public enum Backend {
    /** NCCL: CUDA devices only, one GPU per rank. */
    NCCL,
    /**
     * Gloo over TCP: on the CPU, or for a CUDA device through host copies of its tensors (as PyTorch's gloo
     * backend takes CUDA tensors): slower than NCCL, but ranks may share a GPU, which NCCL refuses.
     */
    GLOO;

    /** NCCL for a CUDA device, Gloo for the CPU. */
    public static Backend defaultFor(Device device) {
      return device.isCpu() ? GLOO : NCCL;
    }
  }

  /** The tensors' device. */
  private final Device device;
  /** The device whose context the native communicator runs on: the tensors', or the CPU's for Gloo on CUDA. */
  private final Device engine;
  private final LongAdder collectives = new LongAdder();
  private final LongAdder busyNanos = new LongAdder();
  private final LongAdder blockedNanos = new LongAdder();
  private final int rank;
  private final int worldSize;
  private vq4j_comm comm;

  private Communicator(Device device, Device engine, int rank, int worldSize, vq4j_comm comm) {
    this.device = device;
    this.engine = engine;
    this.rank = rank;
    this.worldSize = worldSize;
    this.comm = comm;
  }

  /**
   * Joins the group: waits (within the timeout) for all worldSize ranks at the rendezvous, "file:///dir" (a
   * fresh directory every rank sees) or "tcp://host:port" (rank 0 serves it there).
   */
  public static Communicator init(Device device, int rank, int worldSize, String rendezvous, Duration timeout) {
    return init(device, Backend.defaultFor(device), rank, worldSize, rendezvous, timeout);
  }

  /** As above, on the given backend (NCCL needs a CUDA device). */
  public static Communicator init(Device device, Backend backend, int rank, int worldSize, String rendezvous,
      Duration timeout) {
    long ms = timeout.toMillis();
    if (ms < 1 || ms > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("communicator timeout must be between 1 ms and 24 days, got " + timeout);
    }
    if (backend == Backend.NCCL && device.isCpu()) {
      throw new IllegalArgumentException("NCCL communicates between CUDA devices: use Gloo for the CPU");
    }
    Device engine = backend == Backend.GLOO ? Device.CPU : device;
    vq4j_comm comm;
    synchronized (engine) {
      comm = vq4j_comm_init(engine.nativeContext(), rank, worldSize, rendezvous, (int) ms);
    }
    if (comm == null || comm.isNull()) {
      throw new Vq4jException("Communicator.init", VQ4J_ERR_MEMORY, "cannot allocate a native communicator");
    }
    int status = vq4j_comm_status(comm);
    if (status != VQ4J_OK) {
      String message = vq4j_comm_last_error(comm).getString();
      vq4j_comm_destroy(comm);
      throw new Vq4jException("Communicator.init", status, message);
    }
    return new Communicator(device, engine, rank, worldSize, comm);
  }

  /** Joins the group the launch environment describes, on its device, over the backend. */
  public static Communicator init(LaunchEnvironment env, Device device, Backend backend, Duration timeout) {
    return init(device, backend, env.rank(), env.worldSize(), env.rendezvous(), timeout);
  }

  /** Joins the group the launch environment describes, on its device and its default backend. */
  public static Communicator init(LaunchEnvironment env, Device device, Duration timeout) {
    return init(env, device, Backend.defaultFor(device), timeout);
  }

  public int rank() {
    return rank;
  }

  public int worldSize() {
    return worldSize;
  }

  public Device device() {
    return device;
  }

  /**
   * What this rank has spent on communication so far: collectives made, milliseconds inside them (on any
   * thread), and milliseconds the training thread waited for them (its own collectives, and the waits for
   * those of a communication thread, {@link GradientBuckets#average}).
   */
  public record Traffic(long collectives, double busyMs, double blockedMs) {
    /** What happened between then and this. */
    public Traffic since(Traffic then) {
      return new Traffic(collectives - then.collectives, busyMs - then.busyMs, blockedMs - then.blockedMs);
    }
  }

  public Traffic traffic() {
    return new Traffic(collectives.sum(), busyNanos.sum() / 1e6, blockedNanos.sum() / 1e6);
  }

  /** The training thread waited this long for a communication thread's collectives. */
  void recordWait(long nanos) {
    blockedNanos.add(nanos);
  }

  /** In place: every rank's t becomes the sum of all ranks' t. */
  public void allReduceSum(Tensor t) {
    allReduce("allReduceSum", t, 0, false);
  }

  /** In place: every rank's t becomes the mean of all ranks' t (gradients of data-parallel steps). */
  public void allReduceAverage(Tensor t) {
    allReduce("allReduceAverage", t, t.size(), false);
  }

  /**
   * In place, in one collective: t's first averaged values become the mean of all ranks', the rest their sum
   * (a gradient bucket with the quantizer's statistics appended: each collective costs a fixed latency).
   */
  public void allReduceMixed(Tensor t, long averaged) {
    allReduce("allReduceMixed", t, averaged, false);
  }

  /**
   * {@link #allReduceMixed}, started so that it overlaps the ops queued after it (a gradient bucket's, while
   * the backward goes on): with NCCL it is queued on the communicator's own stream after the ops queued so far
   * and returns at once, and t must be left alone until {@link #waitStarted}; with Gloo it runs at once.
   */
  public void startAllReduceMixed(Tensor t, long averaged) {
    allReduce("startAllReduceMixed", t, averaged, true);
  }

  /**
   * The device's later ops come after the all-reduces started so far, which this thread waits for (within
   * the timeout). The other collectives do so first.
   */
  public void waitStarted() {
    call("waitStarted", false, false, () -> vq4j_comm_wait(comm));
  }

  private void allReduce(String op, Tensor t, long averaged, boolean start) {
    check(op, t);
    if (t.dtype() != DType.FLOAT32) {
      throw new IllegalArgumentException(op + ": needs a float32 tensor, got " + t);
    }
    if (averaged < 0 || averaged > t.size()) {
      throw new IllegalArgumentException(op + ": the averaged part (" + averaged + " values) must lie within " + t);
    }
    try (OnEngine h = new OnEngine(t, true)) {
      FloatPointer data = new FloatPointer(h.get().nativePointer());
      call(op, true, false, () -> start ? vq4j_comm_all_reduce_mixed_start(comm, data, t.size(), averaged)
          : vq4j_comm_all_reduce_mixed(comm, data, t.size(), averaged));
      h.copyBack();
    }
  }

  /** In place: every rank's t becomes root's t (any dtype). */
  public void broadcast(Tensor t, int root) {
    String op = "broadcast";
    check(op, t);
    if (root < 0 || root >= worldSize) {
      throw new IllegalArgumentException(op + ": root " + root + " is not a rank of " + worldSize);
    }
    try (OnEngine h = new OnEngine(t, true)) {
      call(op, true, false, () -> vq4j_comm_broadcast(comm, h.get().nativePointer(), bytes(t), root));
      h.copyBack();
    }
  }

  /**
   * gathered[r * n .. (r + 1) * n) = rank r's send, n = send's element count: gathered has the shape
   * [worldSize, send's shape...] (or any shape of that size) and send's dtype.
   */
  public void allGather(Tensor send, Tensor gathered) {
    String op = "allGather";
    check(op, send);
    check(op, gathered);
    if (send.dtype() != gathered.dtype() || gathered.size() != send.size() * worldSize) {
      throw new IllegalArgumentException(op + ": gathered must hold " + worldSize + " x " + send.size()
          + " " + send.dtype() + " values, got " + gathered + " for " + send);
    }
    try (OnEngine s = new OnEngine(send, true); OnEngine g = new OnEngine(gathered, false)) {
      call(op, true, false, () -> vq4j_comm_all_gather(comm, s.get().nativePointer(), g.get().nativePointer(),
          bytes(send)));
      g.copyBack();
    }
  }

  /** Returns once every rank has called it (after the device's queued work). */
  public void barrier() {
    call("barrier", true, true, () -> vq4j_comm_barrier(comm));
  }

  @Override
  public synchronized void close() {
    synchronized (engine) {
      if (comm != null) {
        vq4j_comm_destroy(comm);
        comm = null;
      }
    }
  }

  /** A tensor as the engine sees it: the tensor itself, or for Gloo on CUDA a host copy, freed on close. */
  private final class OnEngine implements AutoCloseable {
    private final Tensor t;
    private final Tensor host;

    /** copy: the host copy starts with t's values (else it is only written). */
    OnEngine(Tensor t, boolean copy) {
      this.t = t;
      this.host = engine == device ? null : copy ? t.to(engine) : Tensor.zeros(engine, t.dtype(), t.shape());
    }

    Tensor get() {
      return host == null ? t : host;
    }

    /** The collective's result into t. */
    void copyBack() {
      if (host != null) {
        t.copyFrom(host);
      }
    }

    @Override
    public void close() {
      if (host != null) {
        host.close();
      }
    }
  }

  private static long bytes(Tensor t) {
    return t.size() * t.dtype().bytes();
  }

  private void check(String op, Tensor t) {
    if (t.device() != device) {
      throw new IllegalArgumentException(op + ": " + t + " is not on the communicator's device " + device);
    }
  }

  /**
   * One collective (or, not counted as one, a wait for started ones) at a time, from any thread.
   * usesContext: the call needs the engine's context (the barrier waits for its queued work). Gloo's collectives read and write host memory only, so on the CPU they leave
   * the device to the ops of other threads (gradients averaged during the backward, {@link
   * GradientBuckets}); NCCL's are queued on the context's stream.
   */
  private synchronized void call(String op, boolean collective, boolean usesContext, IntSupplier nativeCall) {
    if (comm == null) {
      throw new IllegalStateException(op + ": the communicator is closed");
    }
    long t0 = System.nanoTime();
    int status;
    if (usesContext || !engine.isCpu()) {
      synchronized (engine) {
        status = nativeCall.getAsInt();
      }
    } else {
      status = nativeCall.getAsInt();
    }
    long nanos = System.nanoTime() - t0;
    if (collective) {
      collectives.increment();
    }
    busyNanos.add(nanos);
    if (!BACKGROUND.get()) {
      blockedNanos.add(nanos);
    }
    if (status != VQ4J_OK) {
      throw new Vq4jException("Communicator." + op, status, vq4j_comm_last_error(comm).getString());
    }
  }
}
