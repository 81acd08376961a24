package ai.vq4j.tensor;

import static ai.vq4j.bridge.Vq4jNative.VQ4J_ERR_NONFINITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Arguments chosen to break the bounds checks rather than to be plausible: offsets and counts near
 * Long.MAX_VALUE (whose sums wrap), an op writing into its own input, and latents that are not finite.
 * Each must be refused with a message, leaving the tensors intact and closable.
 */
class HostileOpInputTest {
  @Test
  void copyElementsRefusesOffsetsWhoseSumWraps() {
    try (OpHarness.Scope s = new OpHarness.Scope()) {
      Tensor src = s.f(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 8);
      Tensor dst = s.zeros(8);
      long[][] cases = {
        {0, Long.MAX_VALUE - 7, 16}, {Long.MAX_VALUE - 2, 0, 4}, {0, 0, Long.MAX_VALUE}, {1, 0, 8}, {0, 1, 8},
        {9, 0, 0}, {0, 9, 0}, {-1, 0, 1}, {0, 0, -1}, {Long.MIN_VALUE, 0, 1},
      };
      for (long[] c : cases) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> dst.copyElements(src, c[0], c[1], c[2]), () -> java.util.Arrays.toString(c));
        assertTrue(e.getMessage().contains("out of range"), e.getMessage());
      }
      dst.copyElements(src, 2, 6, 2);
      dst.copyElements(src, 8, 8, 0);
      assertArrayEquals(new float[] {0, 0, 0, 0, 0, 0, 3, 4}, dst.toFloatArray());
    }
    // Closing after the refused calls is the point of the first two cases: they used to corrupt the heap.
  }

  @Test
  void shapesPastTheElementLimitAreRefusedBeforeAllocating() {
    long live = Tensor.liveCount();
    for (int[] shape : new int[][] {{65536, 65536}, {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE},
        {1 << 16, 1 << 16, 1 << 16, 1 << 16}}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Tensor.zeros(Device.CPU, DType.FLOAT32, shape));
      assertTrue(e.getMessage().contains("more than " + Integer.MAX_VALUE + " elements"), e.getMessage());
    }
    org.junit.jupiter.api.Assertions.assertEquals(live, Tensor.liveCount());
  }

  @Test
  void opsThatCannotWorkInPlaceRefuseAnAliasedOutput() {
    try (OpHarness.Scope s = new OpHarness.Scope()) {
      Tensor x = s.f(OpHarness.randn(new java.util.Random(1), 2 * 4 * 4 * 3), 2, 4, 4, 3);
      Tensor w = s.f(OpHarness.randn(new java.util.Random(2), 3 * 3 * 3 * 3), 3, 3, 3, 3);
      float[] before = x.toFloatArray();
      aliasRefused("conv2d_fwd", () -> Ops.conv2dForward(x, w, null, x, 1, 1));
      aliasRefused("conv2d_bwd_data", () -> Ops.conv2dBackwardData(x, w, x, 1, 1));
      aliasRefused("conv_transpose2d_fwd", () -> Ops.convTranspose2dForward(x, w, null, x, 1, 1));
      aliasRefused("masked_conv2d_fwd", () -> Ops.maskedConv2dForward(x, w, null, x, Mask.B));
      aliasRefused("masked_conv2d_direct_fwd", () -> Ops.maskedConv2dDirectForward(x, w, null, x, Mask.B));
      aliasRefused("masked_conv2d_bwd_data", () -> Ops.maskedConv2dBackwardData(x, w, x, Mask.B));
      Tensor sq = s.f(OpHarness.randn(new java.util.Random(3), 3 * 3 * 3 * 3), 3, 3, 3, 3);
      aliasRefused("conv2d_bwd_weight", () -> Ops.conv2dBackwardWeight(sq, sq, sq, null, 1, 1));
      assertArrayEquals(before, x.toFloatArray(), "a refused op must not have touched its input");

      Tensor table = s.f(OpHarness.randn(new java.util.Random(4), 8 * 4), 8, 4);
      aliasRefused("embedding_fwd", () -> Ops.embeddingForward(table, s.intZeros(8), table));
      aliasRefused("embedding_bwd", () -> Ops.embeddingBackward(s.intZeros(8), table, table));
      Tensor logits = s.zeros(8, 8);
      aliasRefused("softmax_xent_bwd", () -> Ops.softmaxXentBackward(logits, s.intZeros(8), logits, 1f));
      aliasRefused("vq_quantize_fwd", () -> Ops.vqQuantizeForward(table, table, s.intZeros(8), table));

      // The elementwise ops say they allow it, and do.
      Tensor a = s.f(new float[] {-1, 2, -3, 4}, 4);
      Ops.reluForward(a, a);
      Ops.add(a, a, a);
      assertArrayEquals(new float[] {0, 4, 0, 8}, a.toFloatArray());
    }
  }

  private static void aliasRefused(String op, Executable call) {
    Vq4jException e = assertThrows(Vq4jException.class, call, op);
    assertTrue(e.getMessage().contains("vq4j_" + op) && e.getMessage().contains("aliasing"), e.getMessage());
  }

  @Test
  void hugeStrideOrPadDoesNotWrapIntoAPlausibleOutput() {
    try (OpHarness.Scope s = new OpHarness.Scope()) {
      Tensor x = s.zeros(1, 3, 3, 1);
      Tensor w = s.zeros(1, 2, 2, 1);
      for (int[] sp : new int[][] {{Integer.MAX_VALUE, 0}, {1, Integer.MAX_VALUE}, {1 << 30, 1 << 30}}) {
        assertThrows(IllegalArgumentException.class,
            () -> Ops.convTranspose2dForward(x, w, null, s.zeros(1, 1, 1, 1), sp[0], sp[1]));
      }
      assertThrows(IllegalArgumentException.class,
          () -> Ops.conv2dForward(x, w, null, s.zeros(1, 1, 1, 1), 1, Integer.MAX_VALUE));
    }
  }

  /** The check is the CPU kernel's; the CUDA kernel still gives such a row code 0. */
  @Test
  void nonFiniteLatentsGetNoCodes() {
    try (OpHarness.Scope s = new OpHarness.Scope()) {
      Tensor codebook = s.f(new float[] {0, 0, 1, 1}, 2, 2);
      for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
        Tensor zE = s.f(new float[] {0.9f, 1, 0, bad}, 2, 2);
        Vq4jException e = assertThrows(Vq4jException.class,
            () -> Ops.vqQuantizeForward(zE, codebook, s.intZeros(2), s.zeros(2, 2)));
        assertTrue(e.getMessage().contains("z_e row 1 holds a non-finite value"), e.getMessage());
        assertEquals(VQ4J_ERR_NONFINITE, e.status());
        assertTrue(e.nonFinite());
      }
    }
  }
}
