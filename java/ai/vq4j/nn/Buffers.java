package ai.vq4j.nn;

import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import java.util.Arrays;

/** Allocate-once buffers: reused while the shape stays, replaced when it changes. */
public final class Buffers {
  private Buffers() {}

  /** current when it has this shape, type and device; otherwise current is closed and a new one made. */
  public static Tensor ensure(Tensor current, Device device, DType dtype, int... shape) {
    if (current != null && !current.isClosed() && current.device() == device && current.dtype() == dtype
        && Arrays.equals(current.shape(), shape)) {
      return current;
    }
    if (current != null) {
      current.close();
    }
    return Tensor.zeros(device, dtype, shape);
  }

  public static Tensor ensure(Tensor current, Device device, int... shape) {
    return ensure(current, device, DType.FLOAT32, shape);
  }

  public static void close(Tensor... tensors) {
    for (Tensor t : tensors) {
      if (t != null) {
        t.close();
      }
    }
  }
}
