package ai.vq4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The bits/dim bound of the VQ-VAE with a uniform or a learned prior (paper section 4.1). */
class BitsPerDimTest {
  @Test
  void theBoundAddsThePriorTermToTheReconstructionNll() {
    // A 32x32x3 image: 3072 dimensions. Reconstruction NLL 6000 nats, prior NLL 250 nats.
    assertEquals(6250 / (3072 * Math.log(2)), BitsPerDim.withPrior(6000, 250, 3072), 1e-12);
    // The uniform prior over K = 512 codes on an 8x8 grid adds 64 ln 512 = 399.25 nats.
    double uniform = BitsPerDim.uniformPrior(6000, 64, 512, 3072);
    assertEquals((6000 + 64 * 9 * Math.log(2)) / (3072 * Math.log(2)), uniform, 1e-12);
    assertEquals(6000 / (3072 * Math.log(2)) + 64 * 9 / 3072.0, uniform, 1e-12);
    // A prior that learned anything (NLL below N ln K) gives the lower bound.
    assertEquals(true, BitsPerDim.withPrior(6000, 250, 3072) < uniform);
    assertEquals(9.0, BitsPerDim.bits(9 * Math.log(2)), 1e-12);
    assertEquals(9.0, PriorEvaluation.uniformBitsPerCode(512), 1e-12);
  }

  @Test
  void nonsenseIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> BitsPerDim.withPrior(-1, 2, 3));
    assertThrows(IllegalArgumentException.class, () -> BitsPerDim.withPrior(1, Double.NaN, 3));
    assertThrows(IllegalArgumentException.class, () -> BitsPerDim.withPrior(1, 2, 0));
    assertThrows(IllegalArgumentException.class, () -> BitsPerDim.uniformPrior(1, 0, 512, 3));
  }
}
