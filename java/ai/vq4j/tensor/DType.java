package ai.vq4j.tensor;

/** Element types of a {@link Tensor}: float32 activations and parameters, int32 codes and labels. */
public enum DType {
  FLOAT32,
  INT32;

  /** Bytes per element (both types are 4 bytes wide). */
  public int bytes() {
    return 4;
  }
}
