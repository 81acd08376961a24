package ai.vq4j.nn;

import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import java.util.Arrays;

/**
 * A named learnable tensor and its gradient, on one device. Backward passes overwrite {@link #grad()}
 * (every parameter is used once per forward pass). A parameter that is not {@link #trainable()} (the EMA
 * codebook) is updated by its layer, not by the optimizer.
 */
public final class Parameter implements AutoCloseable {
  private final String name;
  private final Tensor value;
  private final Tensor grad;
  private final boolean trainable;
  private volatile Runnable onGradReady;

  Parameter(String name, Device device, float[] init, boolean trainable, int... shape) {
    this.name = name;
    this.value = Tensor.of(device, init, shape);
    this.grad = Tensor.zeros(device, DType.FLOAT32, shape);
    this.trainable = trainable;
  }

  public String name() {
    return name;
  }

  public Tensor value() {
    return value;
  }

  public Tensor grad() {
    return grad;
  }

  public boolean trainable() {
    return trainable;
  }

  public int[] shape() {
    return value.shape();
  }

  /**
   * Runs r (null: nothing) each time a backward pass has written this gradient for the step: data-parallel
   * training starts averaging a bucket of gradients as soon as its last one is written ({@code
   * ai.vq4j.dist.GradientBuckets}), while the backward continues with earlier layers.
   */
  public void onGradReady(Runnable r) {
    onGradReady = r;
  }

  /**
   * Says that the backward pass has written these gradients for the step (called by the containers of layers,
   * once a layer's backward has returned; may be called again for the same step).
   */
  public static void gradsReady(java.util.List<Parameter> parameters) {
    for (Parameter p : parameters) {
      Runnable r = p.onGradReady;
      if (r != null) {
        r.run();
      }
    }
  }

  /** How many values the parameters hold together. */
  public static long count(java.util.List<Parameter> parameters) {
    long n = 0;
    for (Parameter p : parameters) {
      n += p.value().size();
    }
    return n;
  }

  /** Overwrites the value, checking the shape; used when loading weights. */
  public void load(float[] values, int[] shape) {
    if (!Arrays.equals(shape, value.shape())) {
      throw new IllegalArgumentException("parameter " + name + ": expected shape " + Arrays.toString(value.shape())
          + ", got " + Arrays.toString(shape));
    }
    value.copyFrom(values);
  }

  @Override
  public void close() {
    value.close();
    grad.close();
  }

  @Override
  public String toString() {
    return name + " " + value.describe();
  }
}
