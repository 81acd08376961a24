package ai.vq4j.tensor;

import static ai.vq4j.tensor.OpHarness.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.vq4j.io.Safetensors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConvTranspose2dOpTest {
  static ConvChecks.Conv conv(int stride, int pad) {
    return new ConvChecks.Conv() {
      public void forward(Tensor x, Tensor w, Tensor b, Tensor y) {
        Ops.convTranspose2dForward(x, w, b, y, stride, pad);
      }

      public void backwardData(Tensor dy, Tensor w, Tensor dx) {
        Ops.convTranspose2dBackwardData(dy, w, dx, stride, pad);
      }

      public void backwardWeight(Tensor x, Tensor dy, Tensor dw, Tensor db) {
        Ops.convTranspose2dBackwardWeight(x, dy, dw, db, stride, pad);
      }
    };
  }

  static Stream<Arguments> cases() {
    return onEveryBackend("conv_transpose2d_k4s2p1", "conv_transpose2d_k3s1p1", "conv_transpose2d_k3s2p0");
  }

  @ParameterizedTest
  @MethodSource("cases")
  void matchesPyTorch(String name, Backend backend) {
    Safetensors g = golden(name);
    assertEquals("conv_transpose2d", g.meta("op"));
    ConvChecks.goldenCase(name, conv(meta(g, "stride"), meta(g, "pad")), backend.device());
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    // Weights are [Ci, kH, kW, Co]; output (H - 1) s - 2p + k.
    ConvChecks.gradients("convT 4x4 s2 p1", conv(2, 1), shape(2, 3, 4, 3), shape(3, 4, 4, 2), shape(2, 6, 8, 2), 4);
    ConvChecks.gradients("convT 3x3 s1 p1", conv(1, 1), shape(1, 4, 3, 2), shape(2, 3, 3, 3), shape(1, 4, 3, 3), 5);
    ConvChecks.gradients("convT 3x3 s2 p0", conv(2, 0), shape(1, 2, 3, 2), shape(2, 3, 3, 2), shape(1, 5, 7, 2), 6);
  }
}
