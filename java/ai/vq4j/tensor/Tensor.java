package ai.vq4j.tensor;

import static ai.vq4j.bridge.Vq4jNative.*;

import java.lang.ref.Cleaner;
import java.util.Arrays;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * A dense NHWC tensor (channels innermost) of float32 or int32 that owns native memory on one
 * {@link Device}. Allocate once and reuse: {@link #close()} frees the memory at once; a tensor that is
 * never closed is freed when it becomes unreachable. Any use after close is an
 * {@link IllegalStateException}.
 */
public final class Tensor implements AutoCloseable {
  private static final Cleaner CLEANER = Cleaner.create();
  private static final java.util.concurrent.atomic.AtomicLong LIVE = new java.util.concurrent.atomic.AtomicLong();
  private static final java.util.concurrent.atomic.AtomicLong ALLOCATED = new java.util.concurrent.atomic.AtomicLong();
  private static final java.util.concurrent.atomic.AtomicLong LIVE_BYTES = new java.util.concurrent.atomic.AtomicLong();

  /** Elements per tensor: what the native ops address (vq4j.h), and far past any device's memory. */
  public static final long MAX_ELEMENTS = Integer.MAX_VALUE;

  private final int[] shape;
  private final long size;
  private final DType dtype;
  private final Device device;
  private final Pointer data;
  private final Cleaner.Cleanable cleanable;
  private volatile boolean closed;

  private Tensor(Device device, DType dtype, int[] shape) {
    this.shape = shape.clone();
    this.size = checkedSize(shape);
    this.dtype = dtype;
    this.device = device;
    long bytes = size * dtype.bytes();
    Pointer raw;
    synchronized (device) {
      raw = vq4j_malloc(device.ctx, bytes);
      if (raw == null || raw.isNull()) {
        throw new Vq4jException("Tensor.allocate", VQ4J_ERR_MEMORY, device.lastError());
      }
    }
    this.data = dtype == DType.FLOAT32 ? new FloatPointer(raw) : new IntPointer(raw);
    LIVE.incrementAndGet();
    ALLOCATED.incrementAndGet();
    LIVE_BYTES.addAndGet(bytes);
    this.cleanable = CLEANER.register(this, new Release(device, raw, bytes));
  }

  /** Frees the memory of a tensor that was not closed; holds no reference to the tensor itself. */
  private static final class Release implements Runnable {
    private final Device device;
    private final Pointer raw;
    private final long bytes;

    Release(Device device, Pointer raw, long bytes) {
      this.device = device;
      this.raw = raw;
      this.bytes = bytes;
    }

    @Override
    public void run() {
      synchronized (device) {
        vq4j_free(device.ctx, raw);
      }
      LIVE.decrementAndGet();
      LIVE_BYTES.addAndGet(-bytes);
    }
  }

  private static long checkedSize(int[] shape) {
    if (shape.length == 0) {
      throw new IllegalArgumentException("a tensor needs at least one dimension");
    }
    long size = 1;
    for (int d : shape) {
      if (d <= 0) {
        throw new IllegalArgumentException("tensor dimensions must be positive: " + Arrays.toString(shape));
      }
      size *= d;
      if (size > MAX_ELEMENTS) {
        throw new IllegalArgumentException("tensor shape " + Arrays.toString(shape) + " has more than "
            + MAX_ELEMENTS + " elements");
      }
    }
    return size;
  }

  /** Tensors allocated and not yet freed, on every device: what a leak test watches. */
  public static long liveCount() {
    return LIVE.get();
  }

  /** Tensors allocated since the JVM started (never decreases): a steady training loop leaves it unchanged. */
  public static long allocationCount() {
    return ALLOCATED.get();
  }

  /** Bytes held by the live tensors. */
  public static long liveBytes() {
    return LIVE_BYTES.get();
  }

  /** A zero-filled tensor. */
  public static Tensor zeros(Device device, DType dtype, int... shape) {
    Tensor t = new Tensor(device, dtype, shape);
    t.fillZero();
    return t;
  }

  /** A float32 tensor on the device holding these values. */
  public static Tensor of(Device device, float[] values, int... shape) {
    Tensor t = new Tensor(device, DType.FLOAT32, shape);
    t.copyFrom(values);
    return t;
  }

  /** An int32 tensor on the device holding these values. */
  public static Tensor ofInts(Device device, int[] values, int... shape) {
    Tensor t = new Tensor(device, DType.INT32, shape);
    t.copyFrom(values);
    return t;
  }

  public int[] shape() {
    return shape.clone();
  }

  public int rank() {
    return shape.length;
  }

  /** Size of dimension i; negative i counts from the end. */
  public int dim(int i) {
    return shape[i < 0 ? shape.length + i : i];
  }

  /** Number of elements. */
  public long size() {
    return size;
  }

  public DType dtype() {
    return dtype;
  }

  public Device device() {
    return device;
  }

  public boolean isClosed() {
    return closed;
  }

  /** A copy of this tensor on another device (or the same one). */
  public Tensor to(Device target) {
    Tensor copy = new Tensor(target, dtype, shape);
    copy.copyFrom(this);
    return copy;
  }

  /** Overwrites this tensor with another of the same shape and type, on any device. */
  public void copyFrom(Tensor src) {
    if (!Arrays.equals(shape, src.shape) || dtype != src.dtype) {
      throw new IllegalArgumentException("copyFrom: " + describe() + " <- " + src.describe());
    }
    Pointer dst = pointer();
    Pointer from = src.pointer();
    long bytes = size * dtype.bytes();
    if (device == src.device) {
      Ops.call("copyFrom", device, () -> vq4j_memcpy(device.ctx, dst, from, bytes, VQ4J_COPY_DEVICE_TO_DEVICE));
    } else if (src.device.isCpu()) {
      Ops.call("copyFrom", device, () -> vq4j_memcpy(device.ctx, dst, from, bytes, VQ4J_COPY_HOST_TO_DEVICE));
    } else if (device.isCpu()) {
      src.device.countHostSync();
      Ops.call("copyFrom", src.device, () -> vq4j_memcpy(src.device.ctx, dst, from, bytes, VQ4J_COPY_DEVICE_TO_HOST));
    } else {
      try (Tensor staged = src.to(Device.CPU)) {
        copyFrom(staged);
      }
    }
  }

  /** Overwrites this float32 tensor with values (length must equal size()). */
  public void copyFrom(float[] values) {
    requireType(DType.FLOAT32, "copyFrom(float[])");
    requireLength(values.length, "copyFrom(float[])");
    if (device.isCpu()) {
      floats().put(values);
      return;
    }
    device.withHostBuffer(size * 4, host -> {
      new FloatPointer(host).put(values);
      copyHost(host, true);
    });
  }

  /** Overwrites this int32 tensor with values (length must equal size()). */
  public void copyFrom(int[] values) {
    requireType(DType.INT32, "copyFrom(int[])");
    requireLength(values.length, "copyFrom(int[])");
    if (device.isCpu()) {
      ints().put(values);
      return;
    }
    device.withHostBuffer(size * 4, host -> {
      new IntPointer(host).put(values);
      copyHost(host, true);
    });
  }

  /** The values of this float32 tensor, copied to the Java heap. */
  public float[] toFloatArray() {
    requireType(DType.FLOAT32, "toFloatArray");
    float[] out = new float[Math.toIntExact(size)];
    device.countHostSync();
    if (device.isCpu()) {
      floats().get(out);
      return out;
    }
    device.withHostBuffer(size * 4, host -> {
      copyHost(host, false);
      new FloatPointer(host).get(out);
    });
    return out;
  }

  /** The values of this int32 tensor, copied to the Java heap. */
  public int[] toIntArray() {
    requireType(DType.INT32, "toIntArray");
    int[] out = new int[Math.toIntExact(size)];
    device.countHostSync();
    if (device.isCpu()) {
      ints().get(out);
      return out;
    }
    device.withHostBuffer(size * 4, host -> {
      copyHost(host, false);
      new IntPointer(host).get(out);
    });
    return out;
  }

  /** The single value of a one-element float32 tensor (a loss, a perplexity). */
  public float item() {
    if (size != 1) {
      throw new IllegalArgumentException("item: " + describe() + " has " + size + " elements, not 1");
    }
    return toFloatArray()[0];
  }

  /**
   * Copies count elements of src from srcOffset into this tensor at dstOffset: same device and type, queued
   * like an op (no wait for the device). For gathering per-step scalars into one buffer read later at once.
   */
  public void copyElements(Tensor src, long srcOffset, long dstOffset, long count) {
    if (src.device != device || src.dtype != dtype) {
      throw new IllegalArgumentException("copyElements: " + describe() + " <- " + src.describe()
          + ": needs the same device and type");
    }
    // Compared against the room left after each offset: offset + count could wrap past Long.MAX_VALUE.
    if (count < 0 || srcOffset < 0 || dstOffset < 0 || srcOffset > src.size || dstOffset > size
        || count > src.size - srcOffset || count > size - dstOffset) {
      throw new IllegalArgumentException("copyElements: " + count + " elements from " + srcOffset + " of "
          + src.describe() + " to " + dstOffset + " of " + describe() + " is out of range");
    }
    Pointer dst = at(pointer(), dstOffset);
    Pointer from = at(src.pointer(), srcOffset);
    long bytes = count * dtype.bytes();
    Ops.call("copyElements", device, () -> vq4j_memcpy(device.ctx, dst, from, bytes, VQ4J_COPY_DEVICE_TO_DEVICE));
  }

  private static Pointer at(Pointer p, long offset) {
    return p instanceof FloatPointer f ? f.getPointer(offset) : ((IntPointer) p).getPointer(offset);
  }

  /** Sets every element to zero. */
  public void fillZero() {
    Pointer p = pointer();
    Ops.call("fillZero", device, () -> vq4j_memset_zero(device.ctx, p, size * dtype.bytes()));
  }

  private void copyHost(Pointer host, boolean toTensor) {
    Pointer p = pointer();
    long bytes = size * dtype.bytes();
    int kind = toTensor ? VQ4J_COPY_HOST_TO_DEVICE : VQ4J_COPY_DEVICE_TO_HOST;
    Ops.call(toTensor ? "copyFrom" : "copyTo", device,
        () -> toTensor ? vq4j_memcpy(device.ctx, p, host, bytes, kind) : vq4j_memcpy(device.ctx, host, p, bytes, kind));
  }

  private void requireType(DType expected, String op) {
    if (dtype != expected) {
      throw new IllegalArgumentException(op + ": needs " + expected + ", got " + describe());
    }
  }

  private void requireLength(int length, String op) {
    if (length != size) {
      throw new IllegalArgumentException(op + ": " + length + " values for " + describe());
    }
  }

  /** The native memory, for the op facade; throws once the tensor is closed. */
  Pointer pointer() {
    if (closed) {
      throw new IllegalStateException("tensor " + describe() + " is closed");
    }
    return data;
  }

  /** The native memory, for vq4j packages that call the C API themselves (ai.vq4j.dist). */
  public Pointer nativePointer() {
    return pointer();
  }

  FloatPointer floats() {
    return (FloatPointer) pointer();
  }

  IntPointer ints() {
    return (IntPointer) pointer();
  }

  /** Shape, type and device, e.g. {@code float32[2, 8, 8, 64]@cpu}. */
  public String describe() {
    return dtype.name().toLowerCase() + Arrays.toString(shape) + "@" + device;
  }

  @Override
  public String toString() {
    return "Tensor " + describe() + (closed ? " (closed)" : "");
  }

  /** Frees the native memory; closing twice is harmless. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      cleanable.clean();
    }
  }
}
