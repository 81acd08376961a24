package ai.vq4j.tensor;

import static ai.vq4j.bridge.Vq4jNative.VQ4J_ERR_NONFINITE;

/** A native op failed: carries the op name, the native status and the native message. */
public final class Vq4jException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String op;
  private final int status;

  public Vq4jException(String op, int status, String message) {
    super(op + " failed (status " + status + "): " + message);
    this.op = op;
    this.status = status;
  }

  /** The op (Java name) whose native call failed. */
  public String op() {
    return op;
  }

  /** The native VQ4J_ERR_* status. */
  public int status() {
    return status;
  }

  /**
   * An input held NaN or infinity where the op has no result (VQ4J_ERR_NONFINITE: the quantizer's latents). In
   * training that is the run diverging, not a bad input.
   */
  public boolean nonFinite() {
    return status == VQ4J_ERR_NONFINITE;
  }
}
