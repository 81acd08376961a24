package ai.vq4j.tensor;

import static ai.vq4j.tensor.OpHarness.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.vq4j.io.Safetensors;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * masked_conv2d_direct: the golden values of masked_conv2d's forward (PyTorch, make_golden.py), and its one
 * promise: an output computed on a crop of the input has the bits of the whole input's output wherever the
 * crop holds every tap that output reads.
 */
class MaskedConv2dDirectOpTest {
  static Stream<Arguments> cases() {
    return onEveryBackend("masked_conv2d_A_k3", "masked_conv2d_B_k3", "masked_conv2d_V_A_k3", "masked_conv2d_V_B_k3",
        "masked_conv2d_H_A_k3", "masked_conv2d_H_B_k3", "masked_conv2d_B_k5", "masked_conv2d_H_B_k5",
        "masked_conv2d_V_A_k5");
  }

  @ParameterizedTest
  @MethodSource("cases")
  void matchesPyTorch(String name, Backend backend) {
    Safetensors g = golden(name);
    Mask mask = Mask.valueOf(g.meta("mask_name"));
    try (Scope s = new Scope(backend.device())) {
      Tensor y = s.zerosLike(g, "y");
      Ops.maskedConv2dDirectForward(s.f(g, "x"), s.f(g, "w"), s.f(g, "b"), y, mask);
      assertClose(name + " y (direct)", g.floats("y"), y.toFloatArray(), ConvChecks.ATOL, ConvChecks.RTOL);
    }
  }

  /** Random crops of a random input: every output whose taps the crop holds has the full output's bits. */
  @ParameterizedTest
  @EnumSource(Backend.class)
  void cropsGiveTheBitsOfTheWhole(Backend backend) {
    Device device = backend.device();
    Random rng = new Random(5);
    int n = 2, h = 7, w = 6, ci = 5, co = 19;
    int checked = 0;
    for (Mask mask : Mask.values()) {
      for (int k : new int[] {3, 5}) {
        int c = k / 2;
        float[] x = randn(rng, n * h * w * ci);
        float[] wt = randn(rng, co * k * k * ci);
        float[] b = randn(rng, co);
        try (Scope s = new Scope(device)) {
          Tensor wT = s.f(wt, co, k, k, ci);
          Tensor bT = s.f(b, co);
          Tensor full = s.zeros(n, h, w, co);
          Ops.maskedConv2dDirectForward(s.f(x, n, h, w, ci), wT, bT, full, mask);
          float[] yFull = full.toFloatArray();
          for (int trial = 0; trial < 6; trial++) {
            int r0 = rng.nextInt(h), r1 = r0 + 1 + rng.nextInt(h - r0);
            int c0 = rng.nextInt(w), c1 = c0 + 1 + rng.nextInt(w - c0);
            int ch = r1 - r0, cw = c1 - c0;
            float[] crop = new float[n * ch * cw * ci];
            for (int i = 0; i < n; i++) {
              for (int y = 0; y < ch; y++) {
                System.arraycopy(x, ((i * h + r0 + y) * w + c0) * ci, crop, ((i * ch + y) * cw) * ci, cw * ci);
              }
            }
            Tensor yc = s.zeros(n, ch, cw, co);
            Ops.maskedConv2dDirectForward(s.f(crop, n, ch, cw, ci), wT, bT, yc, mask);
            float[] yCrop = yc.toFloatArray();
            for (int i = 0; i < n; i++) {
              for (int y = 0; y < ch; y++) {
                for (int xx = 0; xx < cw; xx++) {
                  if (!cropHoldsTaps(mask, k, r0 + y, c0 + xx, r0, r1, c0, c1, h, w)) {
                    continue;
                  }
                  for (int o = 0; o < co; o++) {
                    float want = yFull[((i * h + r0 + y) * w + c0 + xx) * co + o];
                    float got = yCrop[((i * ch + y) * cw + xx) * co + o];
                    if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(got)) {
                      throw new AssertionError(String.format("mask %s k%d crop rows [%d, %d) cols [%d, %d): output"
                          + " (%d, %d, %d, %d) is %s on the crop, %s on the whole", mask, k, r0, r1, c0, c1, i,
                          r0 + y, c0 + xx, o, got, want));
                    }
                    checked++;
                  }
                }
              }
            }
          }
        }
        assertTrue(c >= 1);
      }
    }
    assertTrue(checked > 1000, "too few outputs compared: " + checked);
  }

  /** Whether every tap of output (oy, ox) that the mask keeps is inside the crop or outside the whole input. */
  static boolean cropHoldsTaps(Mask mask, int k, int oy, int ox, int r0, int r1, int c0, int c1, int h, int w) {
    int c = k / 2;
    for (int i = 0; i < k; i++) {
      for (int j = 0; j < k; j++) {
        if (!mask.keeps(k, i, j)) {
          continue;
        }
        int iy = oy - c + i, ix = ox - c + j;
        boolean inWhole = iy >= 0 && iy < h && ix >= 0 && ix < w;
        boolean inCrop = iy >= r0 && iy < r1 && ix >= c0 && ix < c1;
        if (inWhole && !inCrop) {
          return false;
        }
      }
    }
    return true;
  }

  /** The same function as masked_conv2d's BLAS forward (to float32 rounding), and k = 1, mask B is a 1x1 conv. */
  @ParameterizedTest
  @EnumSource(Mask.class)
  void agreesWithTheBlasForward(Mask mask) {
    Random rng = new Random(11 + mask.ordinal());
    int n = 3, h = 8, w = 8, ci = 64, co = 128;
    for (int k : new int[] {1, 3, 7}) {
      if (k == 1 && mask != Mask.B) {
        continue;
      }
      try (Scope s = new Scope()) {
        Tensor x = s.f(randn(rng, n * h * w * ci), n, h, w, ci);
        Tensor wt = s.f(randn(rng, co * k * k * ci), co, k, k, ci);
        Tensor b = s.f(randn(rng, co), co);
        Tensor direct = s.zeros(n, h, w, co);
        Tensor blas = s.zeros(n, h, w, co);
        Ops.maskedConv2dDirectForward(x, wt, b, direct, mask);
        Ops.maskedConv2dForward(x, wt, b, blas, mask);
        assertClose(mask + " k" + k + " direct vs BLAS", blas.toFloatArray(), direct.toFloatArray(), 2e-4, 1e-5);
        if (k == 1) {
          Tensor conv = s.zeros(n, h, w, co);
          Ops.conv2dForward(x, wt, b, conv, 1, 0);
          assertClose("1x1 direct vs conv2d", conv.toFloatArray(), direct.toFloatArray(), 2e-4, 1e-5);
        }
      }
    }
  }

  @Test
  void noBiasAndOddChannelCounts() {
    Random rng = new Random(3);
    try (Scope s = new Scope()) {
      Tensor x = s.f(randn(rng, 1 * 3 * 5 * 7), 1, 3, 5, 7);
      Tensor wt = s.f(randn(rng, 13 * 3 * 3 * 7), 13, 3, 3, 7);
      Tensor direct = s.zeros(1, 3, 5, 13);
      Tensor blas = s.zeros(1, 3, 5, 13);
      Ops.maskedConv2dDirectForward(x, wt, null, direct, Mask.B);
      Ops.maskedConv2dForward(x, wt, null, blas, Mask.B);
      assertClose("no bias", blas.toFloatArray(), direct.toFloatArray(), 1e-4, 1e-5);
    }
  }

  @Test
  void cudaGivesTheCpuBits() {
    assumeTrue(gpuPresent(), "no CUDA GPU on this machine: the CPU/CUDA bit comparison needs one");
    Random rng = new Random(17);
    int n = 2, h = 8, w = 8, ci = 32, co = 48;
    for (Mask mask : Mask.values()) {
      float[] x = randn(rng, n * h * w * ci);
      float[] wt = randn(rng, co * 3 * 3 * ci);
      float[] b = randn(rng, co);
      float[] cpu;
      try (Scope s = new Scope()) {
        Tensor y = s.zeros(n, h, w, co);
        Ops.maskedConv2dDirectForward(s.f(x, n, h, w, ci), s.f(wt, co, 3, 3, ci), s.f(b, co), y, mask);
        cpu = y.toFloatArray();
      }
      try (Scope s = new Scope(Device.cuda(0))) {
        Tensor y = s.zeros(n, h, w, co);
        Ops.maskedConv2dDirectForward(s.f(x, n, h, w, ci), s.f(wt, co, 3, 3, ci), s.f(b, co), y, mask);
        float[] gpu = y.toFloatArray();
        for (int i = 0; i < cpu.length; i++) {
          assertEquals(Float.floatToRawIntBits(cpu[i]), Float.floatToRawIntBits(gpu[i]),
              mask + ": element " + i + " CPU " + cpu[i] + " CUDA " + gpu[i]);
        }
      }
    }
  }

  @Test
  void shapesAreCheckedInJava() {
    try (Scope s = new Scope()) {
      Tensor x = s.zeros(1, 4, 4, 3);
      Tensor w = s.zeros(5, 3, 3, 3);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Ops.maskedConv2dDirectForward(x, w, null, s.zeros(1, 4, 4, 4), Mask.B));
      assertTrue(e.getMessage().contains("maskedConv2dDirectForward"), e.getMessage());
      assertThrows(IllegalArgumentException.class,
          () -> Ops.maskedConv2dDirectForward(x, s.zeros(5, 2, 2, 3), null, s.zeros(1, 4, 4, 5), Mask.B));
    }
  }
}
