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
 * <p>The cases and the tolerances (a bound on the normalised mean squared error per family, and a looser one
 * for the TF32 fprop) are the conv rows of the op case list, {@code tests/ops/cases.txt}, which the native
 * harness runs too ({@link OpCases}); rows marked tier=gpu are the large ones.
 *
 * <p>TF32: with {@code VQ4J_CONV_TF32=1} in the environment (sm_80+), the fprop kernel (conv2d and
 * masked_conv2d forward, conv_transpose2d data gradient) runs on TF32 tensor cores, whose operands keep
 * 10 mantissa bits: those outputs are then held to the family's nmse_tf32. Run this class once without and
 * once with it.
 */
class CudaConvParityTest {
  static final boolean TF32 = "1".equals(System.getenv("VQ4J_CONV_TF32"));

  // Per test rather than @BeforeAll, so that every test is reported as skipped, not silently absent.
  @BeforeEach
  void needsGpu() {
    Assumptions.assumeTrue(Device.cudaDeviceCount() > 0, "no CUDA device");
  }

  enum Family {
    CONV2D,
    CONV_TRANSPOSE2D,
    MASKED_CONV2D;

    /** The family's name in the case list. */
    String caseName() {
      return name().toLowerCase();
    }
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

    static Case of(Family family, OpCases.Row r) {
      return switch (family) {
        case CONV2D -> conv(r.i("n"), r.i("h"), r.i("w"), r.i("ci"), r.i("co"), r.i("kh"), r.i("kw"),
            r.i("stride"), r.i("pad"));
        case CONV_TRANSPOSE2D -> transposed(r.i("n"), r.i("h"), r.i("w"), r.i("ci"), r.i("co"), r.i("kh"),
            r.i("kw"), r.i("stride"), r.i("pad"));
        case MASKED_CONV2D -> masked(Mask.valueOf(r.s("mask", "")), r.i("n"), r.i("h"), r.i("w"), r.i("ci"),
            r.i("co"), r.i("k"));
      };
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

  /** The conv rows of the case list: the small ones, or the large ones (tier=gpu). */
  static Stream<Case> rows(boolean large) {
    List<Case> cases = new ArrayList<>();
    for (Family family : Family.values()) {
      for (OpCases.Row r : OpCases.rows(family.caseName())) {
        if (r.large() == large) {
          cases.add(Case.of(family, r));
        }
      }
    }
    return cases.stream();
  }

  static Stream<Case> edgeCases() {
    return rows(false);
  }

  static Stream<Case> largeCases() {
    return rows(true);
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
    close(c, c + " forward y", cpu.y, gpu.y, tf32Y);
    close(c, c + " backward-data dx", cpu.dx, gpu.dx, tf32Dx);
    close(c, c + " backward-weight dw", cpu.dw, gpu.dw, false);
    if (withBias) {
      close(c, c + " bias grad db", cpu.db, gpu.db, false);
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

  static void close(Case c, String what, float[] expected, float[] actual, boolean tf32) {
    OpCases.Tolerance t = OpCases.tolerance(c.family.caseName());
    OpCases.assertNmse(tf32 ? what + " (TF32)" : what, expected, actual, tf32 ? t.nmseTf32() : t.nmse());
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
