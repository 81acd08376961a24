package ai.vq4j.tensor;

import static ai.vq4j.bridge.Vq4jNative.*;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.bytedeco.javacpp.BytePointer;

/**
 * Where a tensor's memory lives and where ops on it run: the CPU, or one CUDA device. Each device holds
 * one native context (backend, CUDA stream, scratch workspace, last error) for the life of the JVM; calls
 * on one device are serialised on it, since the context's scratch and error buffer are shared.
 */
public final class Device {
  /**
   * The system property that makes {@link #CPU} run the hand-written reference kernels instead of its fast
   * paths (oneDNN for the convolutions), for debugging: {@code -Dvq4j.cpu.reference=true}.
   */
  public static final String CPU_REFERENCE_PROPERTY = "vq4j.cpu.reference";

  /**
   * The CPU backend: host memory, the fast paths (oneDNN convolutions) by default, the C++ reference
   * kernels under {@link #CPU_REFERENCE_PROPERTY}.
   */
  public static final Device CPU = openCpu();

  private static final ConcurrentMap<Integer, Device> CUDA = new ConcurrentHashMap<>();

  private final int ordinal;
  final vq4j_ctx ctx;
  private final AtomicLong hostSyncs = new AtomicLong();
  private BytePointer hostBuffer;

  private Device(int ordinal, vq4j_ctx ctx) {
    this.ordinal = ordinal;
    this.ctx = ctx;
  }

  private static Device open(int ordinal) {
    vq4j_ctx ctx = vq4j_ctx_create(ordinal);
    if (ctx == null || ctx.isNull()) {
      throw new Vq4jException("Device.open", VQ4J_ERR_MEMORY, "cannot allocate a native context");
    }
    int status = vq4j_ctx_status(ctx);
    if (status != VQ4J_OK) {
      String message = vq4j_last_error(ctx).getString();
      vq4j_ctx_destroy(ctx);
      throw new Vq4jException("Device.cuda(" + ordinal + ")", status, message);
    }
    return new Device(ordinal, ctx);
  }

  private static Device openCpu() {
    Device cpu = open(-1);
    cpu.setCpuReference(Boolean.getBoolean(CPU_REFERENCE_PROPERTY));
    return cpu;
  }

  /**
   * Whether this CPU device runs the hand-written reference kernels (true) or the fast paths (false, the
   * default). For debugging and for tests that check one against the other; ignored by a CUDA device.
   */
  public synchronized void setCpuReference(boolean reference) {
    if (vq4j_ctx_set_option(ctx, VQ4J_OPT_CPU_REFERENCE, reference ? 1 : 0) != VQ4J_OK) {
      throw new Vq4jException("Device.setCpuReference", VQ4J_ERR_ARGUMENT, lastError());
    }
  }

  /** Whether this device runs the CPU reference kernels: see {@link #setCpuReference}. */
  public synchronized boolean cpuReference() {
    return vq4j_ctx_get_option(ctx, VQ4J_OPT_CPU_REFERENCE) == 1;
  }

  /** The CUDA device with this ordinal; a {@link Vq4jException} when it cannot be opened. */
  public static Device cuda(int ordinal) {
    if (ordinal < 0) {
      throw new IllegalArgumentException("CUDA device ordinal must be >= 0, got " + ordinal);
    }
    return CUDA.computeIfAbsent(ordinal, Device::open);
  }

  /** Usable CUDA devices: 0 without a driver or GPU, or when the library was built without CUDA. */
  public static int cudaDeviceCount() {
    return vq4j_cuda_device_count();
  }

  /** Whether the native library was compiled with its CUDA kernels. */
  public static boolean cudaBuilt() {
    return vq4j_cuda_built() == 1;
  }

  /** The native library's version. */
  public static String nativeVersion() {
    return vq4j_version().getString();
  }

  public boolean isCpu() {
    return ordinal < 0;
  }

  /** -1 for the CPU, the CUDA ordinal otherwise. */
  public int ordinal() {
    return ordinal;
  }

  /**
   * How many times the host has waited for this device's results so far: reads of tensor contents into
   * host memory and {@link Ops#sync} calls. Counted on the CPU too, where such a read costs nothing, so that
   * a test on any machine can show that a training loop does not wait for the device between the points
   * where it chooses to (the metrics drains).
   */
  public long hostSyncs() {
    return hostSyncs.get();
  }

  void countHostSync() {
    hostSyncs.incrementAndGet();
  }

  /**
   * Runs use with this device's host buffer of at least bytes, through which arrays are copied to and from
   * its tensors: grown when a larger copy comes, never shrunk, so that a training loop's batch uploads and
   * metric reads allocate no native memory. The buffer is shared, so use runs under the device's lock.
   */
  synchronized void withHostBuffer(long bytes, Consumer<BytePointer> use) {
    if (hostBuffer == null || hostBuffer.capacity() < bytes) {
      if (hostBuffer != null) {
        hostBuffer.close();
      }
      hostBuffer = new BytePointer(Math.max(bytes, 1));
    }
    use.accept(hostBuffer);
  }

  /**
   * The native context, for vq4j packages that call the C API themselves (ai.vq4j.dist); calls on it
   * must hold this device's lock, as the ops do.
   */
  public vq4j_ctx nativeContext() {
    return ctx;
  }

  /** The native context's last error message. */
  String lastError() {
    return vq4j_last_error(ctx).getString();
  }

  @Override
  public String toString() {
    return isCpu() ? "cpu" : "cuda:" + ordinal;
  }
}
