package ai.vq4j.tensor;

import static ai.vq4j.tensor.OpHarness.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.io.Safetensors;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Finite scalar quantization (Mentzer et al. 2023) against PyTorch, and its levels' limits. */
class FsqOpTest {
  private static int[] levels(Safetensors g) {
    return Arrays.stream(g.meta("levels").split(",")).mapToInt(Integer::parseInt).toArray();
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void matchesPyTorch(Backend backend) {
    Safetensors g = golden("fsq");
    int[] levels = levels(g);
    try (Scope s = new Scope(backend.device())) {
      Tensor z = s.f(g, "z");
      Tensor codes = s.intZeros(g.shape("codes"));
      Tensor zQ = s.zerosLike(g, "z_q");
      Ops.fsqForward(z, levels, codes, zQ);
      assertArrayEquals(g.ints("codes"), codes.toIntArray(), "codes");
      assertClose("z_q", g.floats("z_q"), zQ.toFloatArray(), 0, 0);
      Tensor dz = s.zerosLike(g, "dz");
      Ops.fsqBackward(z, levels, s.f(g, "dz_q"), dz);
      assertClose("dz", g.floats("dz"), dz.toFloatArray(), 1e-6, 1e-5);
    }
  }

  /**
   * Each of the 8x5x5x5 = 1000 codes, from z at the centre of each digit's interval (the bound inverted), comes
   * back as itself, channel 0 the least significant digit; z_q lies in [-1, 1] and z = 0 on odd L gives 0.
   */
  @Test
  void everyCodeComesBackFromItsOwnDigits() {
    int[] levels = {8, 5, 5, 5};
    int n = 1000;
    float[] z = new float[n * 4];
    for (int c = 0; c < n; c++) {
      int rest = c;
      for (int i = 0; i < 4; i++) {
        int l = levels[i];
        double halfL = (l - 1) * (1 + 1e-3) / 2;
        double offset = l % 2 == 0 ? 0.5 : 0;
        double shift = atanh(offset / halfL);
        int digit = rest % l;
        rest /= l;
        z[c * 4 + i] = (float) (atanh((digit - l / 2 + offset) / halfL) - shift);
      }
    }
    int[] want = new int[n];
    for (int c = 0; c < n; c++) {
      want[c] = c;
    }
    try (Scope s = new Scope()) {
      Tensor codes = s.intZeros(n);
      Tensor zQ = s.zeros(n, 4);
      Ops.fsqForward(s.f(z, n, 4), levels, codes, zQ);
      assertArrayEquals(want, codes.toIntArray());
      for (float v : zQ.toFloatArray()) {
        assertTrue(v >= -1 && v <= 1, "z_q " + v);
      }
      Tensor zero = s.zeros(1, 4);
      Ops.fsqForward(s.zeros(1, 4), levels, s.intZeros(1), zero);
      assertArrayEquals(new float[] {0, 0, 0, 0}, zero.toFloatArray(), "z = 0 quantizes to the centre level");
    }
  }

  private static double atanh(double x) {
    return 0.5 * Math.log((1 + x) / (1 - x));
  }

  @Test
  void refusesBadLevels() {
    try (Scope s = new Scope()) {
      Tensor codes = s.intZeros(3);
      RuntimeException one = assertThrows(RuntimeException.class,
          () -> Ops.fsqForward(s.zeros(3, 2), new int[] {5, 1}, codes, s.zeros(3, 2)));
      assertTrue(one.getMessage().contains("levels[1] = 1"), one.getMessage());
      RuntimeException wide = assertThrows(RuntimeException.class,
          () -> Ops.fsqForward(s.zeros(3, 2), new int[] {5, 5, 5}, codes, s.zeros(3, 2)));
      assertTrue(wide.getMessage().contains("one channel per level"), wide.getMessage());
    }
  }
}
