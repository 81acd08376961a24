package ai.vq4j.tensor;

import static ai.vq4j.tensor.OpHarness.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CPU's fast path (oneDNN convolutions) against its hand-written reference, through the public ops, at
 * every conv layer shape of the sonnet VQ-VAE and the PixelCNN prior (batch 4). Both run on {@link
 * Device#CPU}, switched with {@link Device#setCpuReference}. The native self-test (conv_selftest) checks
 * both backends against a naive loop on random and edge shapes.
 */
class CpuFastPathTest {
  private static final double ATOL = 2e-4;
  private static final double RTOL = 2e-4;

  /** kind, n, h, w, ci, co, k, stride, pad (mask for a masked conv: the Mask's ordinal). */
  static Stream<Arguments> layers() {
    return Stream.of(
        Arguments.of("conv", 4, 32, 32, 1, 64, 4, 2, 1),      // enc_conv1
        Arguments.of("conv", 4, 16, 16, 64, 128, 4, 2, 1),    // enc_conv2
        Arguments.of("conv", 4, 8, 8, 128, 128, 3, 1, 1),     // enc_conv3
        Arguments.of("conv", 4, 8, 8, 128, 32, 3, 1, 1),      // res_conv3x3
        Arguments.of("conv", 4, 8, 8, 32, 128, 1, 1, 0),      // res_conv1x1
        Arguments.of("conv", 4, 8, 8, 128, 64, 1, 1, 0),      // pre_vq_conv1x1
        Arguments.of("convT", 4, 8, 8, 128, 64, 4, 2, 1),     // dec_convT1
        Arguments.of("convT", 4, 16, 16, 64, 1, 4, 2, 1),     // dec_convT2
        Arguments.of("convT", 4, 16, 16, 64, 3, 4, 2, 1),     // dec_convT2, 3 channels
        Arguments.of("masked", 4, 8, 8, 64, 128, 5, 0, 0),    // prior's first layer (mask A, 5x5)
        Arguments.of("masked", 4, 8, 8, 64, 128, 3, 1, 0),    // prior's later layers (mask B, 3x3)
        Arguments.of("masked", 4, 8, 8, 64, 128, 3, 3, 0),    // vertical stack (mask V_B)
        Arguments.of("masked", 4, 8, 8, 64, 128, 3, 5, 0));   // horizontal stack (mask H_B)
  }

  @ParameterizedTest(name = "{0} x[{1},{2},{3},{4}] -> {5}, k{6} s{7} p{8}")
  @MethodSource("layers")
  void fastPathMatchesTheReference(String kind, int n, int h, int w, int ci, int co, int k, int s, int p) {
    boolean transposed = kind.equals("convT");
    int oh = transposed ? (h - 1) * s - 2 * p + k : kind.equals("masked") ? h : (h + 2 * p - k) / s + 1;
    int ow = transposed ? (w - 1) * s - 2 * p + k : kind.equals("masked") ? w : (w + 2 * p - k) / s + 1;
    int[] xs = {n, h, w, ci};
    int[] ys = {n, oh, ow, co};
    int[] ws = transposed ? new int[] {ci, k, k, co} : new int[] {co, k, k, ci};
    Random rng = new Random(7L * n + 31L * ci + co + k);
    float[] x = randn(rng, ConvChecks.size(xs));
    float[] wt = randn(rng, ConvChecks.size(ws));
    float[] b = randn(rng, co);
    float[] dy = randn(rng, ConvChecks.size(ys));
    float[][] reference = passes(true, kind, s, p, x, wt, b, dy, xs, ws, ys);
    float[][] fast = passes(false, kind, s, p, x, wt, b, dy, xs, ws, ys);
    String[] names = {"y", "dx", "dw", "db"};
    for (int i = 0; i < names.length; i++) {
      assertClose(kind + " " + names[i], reference[i], fast[i], ATOL, RTOL);
    }
    // Same inputs, same thread count: the fast path gives the same bits again.
    float[][] again = passes(false, kind, s, p, x, wt, b, dy, xs, ws, ys);
    for (int i = 0; i < names.length; i++) {
      assertArrayEquals(fast[i], again[i], kind + " " + names[i] + " repeated");
    }
  }

  /** y, dx, dw, db of one layer on the reference (true) or the fast path (false). */
  private static float[][] passes(boolean reference, String kind, int s, int p, float[] x, float[] w, float[] b,
      float[] dy, int[] xs, int[] ws, int[] ys) {
    return withBackend(reference, () -> {
      try (Scope sc = new Scope()) {
        Tensor tx = sc.f(x, xs), tw = sc.f(w, ws), tb = sc.f(b, b.length), tdy = sc.f(dy, ys);
        Tensor y = sc.zeros(ys), dx = sc.zeros(xs), dw = sc.zeros(ws), db = sc.zeros(b.length);
        switch (kind) {
          case "conv" -> {
            Ops.conv2dForward(tx, tw, tb, y, s, p);
            Ops.conv2dBackwardData(tdy, tw, dx, s, p);
            Ops.conv2dBackwardWeight(tx, tdy, dw, db, s, p);
          }
          case "convT" -> {
            Ops.convTranspose2dForward(tx, tw, tb, y, s, p);
            Ops.convTranspose2dBackwardData(tdy, tw, dx, s, p);
            Ops.convTranspose2dBackwardWeight(tx, tdy, dw, db, s, p);
          }
          default -> {
            Mask mask = Mask.values()[s];
            Ops.maskedConv2dForward(tx, tw, tb, y, mask);
            Ops.maskedConv2dBackwardData(tdy, tw, dx, mask);
            Ops.maskedConv2dBackwardWeight(tx, tdy, dw, db, mask);
          }
        }
        return new float[][] {y.toFloatArray(), dx.toFloatArray(), dw.toFloatArray(), db.toFloatArray()};
      }
    });
  }

  private static <T> T withBackend(boolean reference, java.util.function.Supplier<T> body) {
    boolean before = Device.CPU.cpuReference();
    Device.CPU.setCpuReference(reference);
    try {
      return body.get();
    } finally {
      Device.CPU.setCpuReference(before);
    }
  }

  @Test
  void theFastPathIsTheDefaultAndTheSystemPropertySelectsTheReference() {
    assertEquals(Boolean.getBoolean(Device.CPU_REFERENCE_PROPERTY), Device.CPU.cpuReference());
    withBackend(true, () -> {
      assertTrue(Device.CPU.cpuReference());
      return null;
    });
    withBackend(false, () -> {
      assertFalse(Device.CPU.cpuReference());
      return null;
    });
  }
}
