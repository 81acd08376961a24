package ai.vq4j.tensor;

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
}
