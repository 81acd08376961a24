package ai.vq4j.dist;

import static ai.vq4j.bridge.Vq4jNative.*;

import ai.vq4j.bridge.Vq4jNative.vq4j_comm;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import ai.vq4j.tensor.Vq4jException;
import java.time.Duration;
import java.util.function.IntSupplier;
import org.bytedeco.javacpp.FloatPointer;

/**
 * One rank's end of a group of processes that run collectives together, over the tensors of one device:
 * Gloo (TCP) on the CPU, NCCL on a CUDA device. Every rank must call the same collectives in the same order
 * with tensors of the same sizes. Every call is bounded by the timeout: a rank that dies or stalls, or that
 * was started with another world size, makes the others throw a {@link Vq4jException} whose message names
 * the rank and the operation ("rank 0 of 2: all_reduce: ... Connection closed by peer"). After such an
 * error the communicator is unusable; close it and end the process.
 */
public final class Communicator implements AutoCloseable {
  /** How long a collective, or the rendezvous, waits for the other ranks unless told otherwise. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

  private final Device device;
  private final int rank;
  private final int worldSize;
  private vq4j_comm comm;

  private Communicator(Device device, int rank, int worldSize, vq4j_comm comm) {
    this.device = device;
    this.rank = rank;
    this.worldSize = worldSize;
    this.comm = comm;
  }

  /**
   * Joins the group: waits (within the timeout) for all worldSize ranks at the rendezvous, "file:///dir" (a
   * fresh directory every rank sees) or "tcp://host:port" (rank 0 serves it there).
   */
  public static Communicator init(Device device, int rank, int worldSize, String rendezvous, Duration timeout) {
    long ms = timeout.toMillis();
    if (ms < 1 || ms > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("communicator timeout must be between 1 ms and 24 days, got " + timeout);
    }
    vq4j_comm comm;
    synchronized (device) {
      comm = vq4j_comm_init(device.nativeContext(), rank, worldSize, rendezvous, (int) ms);
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
    return new Communicator(device, rank, worldSize, comm);
  }

  /** Joins the group the launch environment describes, on its device. */
  public static Communicator init(LaunchEnvironment env, Device device, Duration timeout) {
    return init(device, env.rank(), env.worldSize(), env.rendezvous(), timeout);
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

  /** In place: every rank's t becomes the sum of all ranks' t. */
  public void allReduceSum(Tensor t) {
    allReduce("allReduceSum", t, VQ4J_REDUCE_SUM);
  }

  /** In place: every rank's t becomes the mean of all ranks' t (gradients of data-parallel steps). */
  public void allReduceAverage(Tensor t) {
    allReduce("allReduceAverage", t, VQ4J_REDUCE_AVERAGE);
  }

  private void allReduce(String op, Tensor t, int reduce) {
    check(op, t);
    if (t.dtype() != DType.FLOAT32) {
      throw new IllegalArgumentException(op + ": needs a float32 tensor, got " + t);
    }
    call(op, () -> vq4j_comm_all_reduce(comm, new FloatPointer(t.nativePointer()), t.size(), reduce));
  }

  /** In place: every rank's t becomes root's t (any dtype). */
  public void broadcast(Tensor t, int root) {
    String op = "broadcast";
    check(op, t);
    if (root < 0 || root >= worldSize) {
      throw new IllegalArgumentException(op + ": root " + root + " is not a rank of " + worldSize);
    }
    call(op, () -> vq4j_comm_broadcast(comm, t.nativePointer(), bytes(t), root));
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
    call(op, () -> vq4j_comm_all_gather(comm, send.nativePointer(), gathered.nativePointer(), bytes(send)));
  }

  /** Returns once every rank has called it (after the device's queued work). */
  public void barrier() {
    call("barrier", () -> vq4j_comm_barrier(comm));
  }

  @Override
  public void close() {
    synchronized (device) {
      if (comm != null) {
        vq4j_comm_destroy(comm);
        comm = null;
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

  private void call(String op, IntSupplier nativeCall) {
    synchronized (device) {
      if (comm == null) {
        throw new IllegalStateException(op + ": the communicator is closed");
      }
      int status = nativeCall.getAsInt();
      if (status != VQ4J_OK) {
        throw new Vq4jException("Communicator." + op, status, vq4j_comm_last_error(comm).getString());
      }
    }
  }
}
