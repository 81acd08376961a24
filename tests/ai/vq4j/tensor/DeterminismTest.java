package ai.vq4j.tensor;

import static ai.vq4j.tensor.OpHarness.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** CPU ops are bit-reproducible: the same inputs give the same bits, call after call. */
class DeterminismTest {
  @Test
  void reductionsGiveTheSameBitsEveryCall() {
    Random rng = new Random(61);
    int[] xs = {16, 16, 16, 32};
    int[] ws = {32, 3, 3, 32};
    int[] ys = {16, 16, 16, 32};
    int rows = 16 * 16 * 16;
    try (Scope s = new Scope()) {
      Tensor x = s.f(randn(rng, ConvChecks.size(xs)), xs);
      Tensor dy = s.f(randn(rng, ConvChecks.size(ys)), ys);
      Tensor codebook = s.f(randn(rng, 64 * 32), 64, 32);
      float[][] first = null;
      for (int run = 0; run < 3; run++) {
        Tensor dw = s.zeros(ws);
        Tensor db = s.zeros(32);
        Ops.conv2dBackwardWeight(x, dy, dw, db, 1, 1);
        Tensor z = s.zeros(ys);
        Tensor codes = s.intZeros(rows);
        Ops.vqQuantizeForward(dy, codebook, codes, z);
        Tensor dcb = s.zeros(64, 32);
        Ops.vqQuantizeBackward(dy, z, codes, z, s.zeros(ys), dcb, 0.25f, 1f);
        Tensor loss = s.zeros(1);
        Ops.mseForward(x, dy, loss);
        float[][] now = {dw.toFloatArray(), db.toFloatArray(), dcb.toFloatArray(), loss.toFloatArray()};
        if (first == null) {
          first = now;
        } else {
          for (int i = 0; i < now.length; i++) {
            assertArrayEquals(first[i], now[i], "output " + i + " of run " + run);
          }
        }
      }
    }
  }
}
