package ai.vq4j.tensor;

import static ai.vq4j.tensor.OpHarness.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * CUDA against the CPU reference for the conv family (conv2d, conv_transpose2d, masked_conv2d): forward,
 * data gradient, weight gradient and bias gradient on random inputs and edge shapes (odd sizes, 1x1,
 * strides 2 and 3, channel counts that are not multiples of the 64-wide tiles, N = 1, kernels larger than
 * the padding or the image, every mask with k = 1, 3 and 5) and on large ones (N = 32, 32x32x64 -> 128).
 * GPU outputs start as NaN, so an element a kernel leaves unwritten fails. Skipped (visibly) without a GPU.
 *
 * <p>Tolerance (FP32 kernels): |gpu - cpu| <= atol + rtol |cpu| with rtol = 1e-4 and atol = 1e-4 times
 * max(1, RMS of the expected tensor). The scaling is there because float32 rounding of a K-term sum grows
 * with the size of its partial sums, not of the result element: a weight-gradient element near 0 that sums
 * 32768 products of N(0, 1) values carries absolute rounding errors near 1e-4 on either side even though
 * both sides are right. An indexing error is off by about the RMS itself, far above this bound.
 *
 * <p>TF32: with {@code VQ4J_CONV_TF32=1} in the environment (sm_80+), the fprop kernel (conv2d and
 * masked_conv2d forward, conv_transpose2d data gradient) runs on TF32 tensor cores, whose operands keep
 * 10 mantissa bits: those outputs are then held to 5e-3 relative + 5e-3 x max(1, RMS) absolute (expected
 * error about 5e-4 of the RMS; see conv_gemm.cu). Run this class once without and once with it.
 */
class CudaConvParityTest {
  static final double ATOL = 1e-4;
  static final double RTOL = 1e-4;
  static final boolean TF32 = "1".equals(System.getenv("VQ4J_CONV_TF32"));
  static final double TF32_ATOL = 5e-3;
  static final double TF32_RTOL = 5e-3;

  // Per test rather than @BeforeAll, so that every test is reported as skipped, not silently absent.
  @BeforeEach
  void needsGpu() {
    Assumptions.assumeTrue(Device.cudaDeviceCount() > 0, "no CUDA device");
  }

  enum Family {
    CONV2D,
    CONV_TRANSPOSE2D,
    MASKED_CONV2D
  }

  /** One conv op at one geometry; kh = kw = k, stride 1 and padding k / 2 for masked convs. */
  record Case(Family family, int n, int h, int w, int ci, int co, int kh, int kw, int stride, int pad, Mask mask) {
    static Case conv(int n, int h, int w, int ci, int co, int kh, int kw, int stride, int pad) {
      return new Case(Family.CONV2D, n, h, w, ci, co, kh, kw, stride, pad, null);
    }

    static Case transposed(int n, int h, int w, int ci, int co, int kh, int kw, int stride, int pad) {
      return new Case(Family.CONV_TRANSPOSE2D, n, h, w, ci, co, kh, kw, stride, pad, null);
    }

    static Case masked(Mask mask, int n, int h, int w, int ci, int co, int k) {
      return new Case(Family.MASKED_CONV2D, n, h, w, ci, co, k, k, 1, k / 2, mask);
    }

    int oh() {
      return family == Family.CONV_TRANSPOSE2D ? (h - 1) * stride - 2 * pad + kh : (h + 2 * pad - kh) / stride + 1;
    }

    int ow() {
      return family == Family.CONV_TRANSPOSE2D ? (w - 1) * stride - 2 * pad + kw : (w + 2 * pad - kw) / stride + 1;
    }

    int[] xShape() {
      return shape(n, h, w, ci);
    }

    int[] wShape() {
      return family == Family.CONV_TRANSPOSE2D ? shape(ci, kh, kw, co) : shape(co, kh, kw, ci);
    }

    int[] yShape() {
      return shape(n, oh(), ow(), co);
    }

    ConvChecks.Conv op() {
      switch (family) {
        case CONV2D: return Conv2dOpTest.conv(stride, pad);
        case CONV_TRANSPOSE2D: return ConvTranspose2dOpTest.conv(stride, pad);
        default: return MaskedConv2dOpTest.conv(mask);
      }
    }

    @Override
    public String toString() {
      String geometry = String.format("n%d %dx%d ci%d co%d k%dx%d", n, h, w, ci, co, kh, kw);
      return family == Family.MASKED_CONV2D ? "masked_conv2d " + mask + " " + geometry
          : family.name().toLowerCase() + " " + geometry + " s" + stride + " p" + pad;
    }
  }

  static Stream<Case> edgeCases() {
    List<Case> cases = new ArrayList<>();
    // conv2d: n, h, w, ci, co, kh, kw, stride, pad
    cases.add(Case.conv(2, 7, 13, 3, 5, 3, 3, 1, 1));     // odd sizes, Ci = 3, Co = 5
    cases.add(Case.conv(1, 13, 7, 1, 5, 3, 3, 2, 1));     // Ci = 1, stride 2, N = 1
    cases.add(Case.conv(2, 13, 7, 1, 5, 3, 3, 1, 1));     // Ci = 1
    cases.add(Case.conv(2, 7, 13, 5, 3, 1, 1, 1, 0));     // 1x1
    cases.add(Case.conv(1, 6, 7, 2, 3, 1, 1, 2, 0));      // 1x1 stride 2: half the phases of dx have no tap
    cases.add(Case.conv(3, 8, 8, 3, 5, 4, 4, 2, 1));      // the encoder's 4x4 stride-2 downsampling
    cases.add(Case.conv(2, 5, 6, 3, 4, 5, 5, 3, 2));      // stride 3
    cases.add(Case.conv(1, 10, 11, 3, 2, 2, 2, 3, 0));    // stride > kernel: pixels no output reads
    cases.add(Case.conv(2, 9, 10, 4, 6, 3, 2, 2, 1));     // non-square kernel
    cases.add(Case.conv(1, 4, 4, 2, 3, 4, 4, 1, 3));      // padding nearly the kernel size
    cases.add(Case.conv(1, 1, 1, 3, 5, 1, 1, 1, 0));      // one pixel
    cases.add(Case.conv(1, 3, 40, 2, 2, 3, 5, 1, 2));     // wide and flat
    cases.add(Case.conv(2, 13, 7, 67, 65, 3, 3, 1, 1));   // channels just over one tile
    cases.add(Case.conv(1, 9, 11, 7, 70, 3, 3, 2, 0));
    cases.add(Case.conv(2, 9, 9, 130, 8, 3, 3, 1, 1));
    cases.add(Case.conv(9, 16, 16, 3, 5, 3, 3, 1, 1));    // > 2048 rows: the bias gradient reduces in chunks
    // conv_transpose2d
    cases.add(Case.transposed(2, 7, 13, 3, 5, 4, 4, 2, 1)); // the decoder's 4x4 stride-2 upsampling
    cases.add(Case.transposed(1, 7, 13, 1, 5, 3, 3, 1, 1));
    cases.add(Case.transposed(2, 4, 5, 5, 3, 3, 3, 2, 0));
    cases.add(Case.transposed(2, 7, 7, 3, 5, 1, 1, 1, 0));
    cases.add(Case.transposed(1, 3, 4, 70, 66, 4, 4, 2, 1));
    cases.add(Case.transposed(1, 5, 4, 2, 3, 3, 3, 3, 1));
    cases.add(Case.transposed(1, 6, 5, 3, 4, 5, 3, 2, 2));
    cases.add(Case.transposed(3, 16, 16, 3, 5, 4, 4, 2, 1));
    // masked_conv2d: every mask, k = 1 (A, V_A and H_A keep no tap), 3 and 5
    for (Mask mask : Mask.values()) {
      for (int k : new int[] {3, 5}) {
        cases.add(Case.masked(mask, 2, 7, 13, 3, 5, k));
        cases.add(Case.masked(mask, 1, 13, 7, 1, 5, k));
        cases.add(Case.masked(mask, 1, 6, 5, 66, 70, k));
      }
      cases.add(Case.masked(mask, 2, 5, 4, 3, 2, 1));
    }
    return cases.stream();
  }

  static Stream<Case> largeCases() {
    return Stream.of(
        Case.conv(32, 32, 32, 64, 128, 3, 3, 1, 1),
        Case.conv(32, 32, 32, 64, 128, 4, 4, 2, 1),
        Case.conv(32, 32, 32, 64, 128, 1, 1, 1, 0),
        Case.transposed(32, 16, 16, 128, 64, 4, 4, 2, 1),
        Case.masked(Mask.A, 32, 32, 32, 64, 128, 5),
        Case.masked(Mask.V_B, 32, 32, 32, 64, 128, 3),
        Case.masked(Mask.H_B, 32, 32, 32, 64, 128, 3));
  }

  /** The random inputs of one case. */
  record Inputs(float[] x, float[] w, float[] b, float[] dy) {
    static Inputs of(Case c, long seed) {
      Random rng = new Random(seed);
      return new Inputs(randn(rng, ConvChecks.size(c.xShape())), randn(rng, ConvChecks.size(c.wShape())),
          randn(rng, c.co), randn(rng, ConvChecks.size(c.yShape())));
    }
  }

  /** y = forward(x, w, b), dx = backwardData(dy, w), dw and db = backwardWeight(x, dy). */
  record Outputs(float[] y, float[] dx, float[] dw, float[] db) {}

  static Outputs run(Case c, Inputs in, Device device, boolean withBias) {
    ConvChecks.Conv op = c.op();
    try (Scope s = new Scope(device)) {
      Tensor x = s.f(in.x, c.xShape());
      Tensor w = s.f(in.w, c.wShape());
      Tensor b = withBias ? s.f(in.b, c.co) : null;
      Tensor dy = s.f(in.dy, c.yShape());
      Tensor y = s.f(nans(c.yShape()), c.yShape());
      Tensor dx = s.f(nans(c.xShape()), c.xShape());
      Tensor dw = s.f(nans(c.wShape()), c.wShape());
      Tensor db = withBias ? s.f(nans(shape(c.co)), c.co) : null;
      op.forward(x, w, b, y);
      op.backwardData(dy, w, dx);
      op.backwardWeight(x, dy, dw, db);
      return new Outputs(y.toFloatArray(), dx.toFloatArray(), dw.toFloatArray(), withBias ? db.toFloatArray() : null);
    }
  }

  static void assertParity(Case c, long seed, boolean withBias) {
    Inputs in = Inputs.of(c, seed);
    Outputs cpu = run(c, in, Device.CPU, withBias);
    Outputs gpu = run(c, in, Device.cuda(0), withBias);
    // The outputs the fprop kernel computes: TF32 when it is on.
    boolean tf32Y = TF32 && c.family != Family.CONV_TRANSPOSE2D;
    boolean tf32Dx = TF32 && c.family == Family.CONV_TRANSPOSE2D;
    close(c + " forward y", cpu.y, gpu.y, tf32Y);
    close(c + " backward-data dx", cpu.dx, gpu.dx, tf32Dx);
    close(c + " backward-weight dw", cpu.dw, gpu.dw, false);
    if (withBias) {
      close(c + " bias grad db", cpu.db, gpu.db, false);
    }
    if (c.family == Family.MASKED_CONV2D) {
      assertMaskedZero(c, gpu.dw);
    }
  }

  /** The weight gradient of every tap the mask drops is exactly 0 (not merely small). */
  static void assertMaskedZero(Case c, float[] dw) {
    int k = c.kh;
    for (int e = 0; e < dw.length; e++) {
      int t = e / c.ci % (k * k);
      if (!c.mask.keeps(k, t / k, t % k) && dw[e] != 0.0f) {
        fail(c + ": masked tap (" + t / k + ", " + t % k + ") has weight gradient " + dw[e] + " at element " + e);
      }
    }
  }

  static void close(String what, float[] expected, float[] actual, boolean tf32) {
    double sumSq = 0;
    for (float v : expected) {
      sumSq += (double) v * v;
    }
    double scale = Math.max(1.0, expected.length == 0 ? 0 : Math.sqrt(sumSq / expected.length));
    if (tf32) {
      assertClose(what + " (TF32)", expected, actual, TF32_ATOL * scale, TF32_RTOL);
    } else {
      assertClose(what, expected, actual, ATOL * scale, RTOL);
    }
  }

  static float[] nans(int... shape) {
    float[] a = new float[ConvChecks.size(shape)];
    Arrays.fill(a, Float.NaN);
    return a;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("edgeCases")
  void edgeShapesMatchCpu(Case c) {
    assertParity(c, c.toString().hashCode(), true);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("largeCases")
  void largeShapesMatchCpu(Case c) {
    assertParity(c, c.toString().hashCode(), true);
  }

  /** A null bias: the forward adds none, and the weight gradient skips the bias gradient. */
  @Test
  void noBiasMatchesCpu() {
    assertParity(Case.conv(2, 7, 13, 3, 5, 3, 3, 2, 1), 11, false);
    assertParity(Case.transposed(2, 7, 13, 3, 5, 4, 4, 2, 1), 12, false);
    assertParity(Case.masked(Mask.B, 2, 7, 13, 3, 5, 3), 13, false);
  }

  /** Same inputs, same bits: the weight gradient's split-K and the bias gradient reduce in a fixed order. */
  @Test
  void gpuResultsAreBitReproducible() {
    for (Case c : new Case[] {Case.conv(32, 32, 32, 64, 128, 3, 3, 1, 1),
        Case.transposed(32, 16, 16, 128, 64, 4, 4, 2, 1), Case.masked(Mask.A, 9, 16, 16, 3, 5, 5)}) {
      Inputs in = Inputs.of(c, 5);
      Outputs a = run(c, in, Device.cuda(0), true);
      Outputs b = run(c, in, Device.cuda(0), true);
      assertBitsEqual(c + " y", a.y, b.y);
      assertBitsEqual(c + " dx", a.dx, b.dx);
      assertBitsEqual(c + " dw", a.dw, b.dw);
      assertBitsEqual(c + " db", a.db, b.db);
    }
  }

  static void assertBitsEqual(String what, float[] a, float[] b) {
    assertEquals(a.length, b.length, what);
    for (int i = 0; i < a.length; i++) {
      if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
        fail(what + ": element " + i + " differs between two identical runs: " + a[i] + " vs " + b[i]);
      }
    }
  }
}
