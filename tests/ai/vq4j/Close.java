package ai.vq4j;

import static org.junit.jupiter.api.Assertions.fail;

/** The one float-array comparison every test uses: a tolerance per element, the worst element reported. */
public final class Close {
  private Close() {}

  /** Element-wise |expected - actual| <= atol + rtol |expected|, reporting the worst element. */
  public static void assertClose(String what, float[] expected, float[] actual, double atol, double rtol) {
    if (expected.length != actual.length) {
      fail(what + ": " + expected.length + " expected values, got " + actual.length);
    }
    int worst = -1;
    double worstExcess = 0;
    double maxErr = 0;
    for (int i = 0; i < expected.length; i++) {
      double err = Math.abs((double) expected[i] - actual[i]);
      maxErr = Math.max(maxErr, Double.isNaN(err) ? Double.POSITIVE_INFINITY : err);
      double excess = err - (atol + rtol * Math.abs(expected[i]));
      if (Double.isNaN(err) || excess > worstExcess) {
        worstExcess = Double.isNaN(err) ? Double.POSITIVE_INFINITY : excess;
        worst = i;
      }
    }
    if (worst >= 0) {
      fail(String.format("%s: element %d expected %.7g got %.7g (max abs error %.3g, atol %.1g, rtol %.1g)", what,
          worst, expected[worst], actual[worst], maxErr, atol, rtol));
    }
  }
}
