package ai.vq4j.nn;

import ai.vq4j.tensor.Tensor;
import java.util.function.DoubleSupplier;

/** The finite-difference check of {@link GatedPixelCnnLayerTest}, for tests in other packages. */
public final class GatedPixelCnnLayerTestAccess {
  private GatedPixelCnnLayerTestAccess() {}

  public static void check(String what, Tensor target, float[] analytic, DoubleSupplier loss, int maxChecks) {
    GatedPixelCnnLayerTest.checkFiniteDifferences(what, target, analytic, loss, maxChecks);
  }
}
