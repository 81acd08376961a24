package ai.vq4j.tensor;

import static ai.vq4j.tensor.OpHarness.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.vq4j.io.Safetensors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class Conv2dOpTest {
  static ConvChecks.Conv conv(int stride, int pad) {
    return new ConvChecks.Conv() {
      public void forward(Tensor x, Tensor w, Tensor b, Tensor y) {
        Ops.conv2dForward(x, w, b, y, stride, pad);
      }

      public void backwardData(Tensor dy, Tensor w, Tensor dx) {
        Ops.conv2dBackwardData(dy, w, dx, stride, pad);
      }

      public void backwardWeight(Tensor x, Tensor dy, Tensor dw, Tensor db) {
        Ops.conv2dBackwardWeight(x, dy, dw, db, stride, pad);
      }
    };
  }

  static Stream<Arguments> cases() {
    return onEveryBackend("conv2d_k3s1p1", "conv2d_k4s2p1", "conv2d_k1s1p0", "conv2d_k3s2p0");
  }

  @ParameterizedTest
  @MethodSource("cases")
  void matchesPyTorch(String name, Backend backend) {
    Safetensors g = golden(name);
    assertEquals("conv2d", g.meta("op"));
    ConvChecks.goldenCase(name, conv(meta(g, "stride"), meta(g, "pad")), backend.device());
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    ConvChecks.gradients("conv2d 3x3 s1 p1", conv(1, 1), shape(2, 5, 4, 3), shape(4, 3, 3, 3), shape(2, 5, 4, 4), 1);
    ConvChecks.gradients("conv2d 4x4 s2 p1", conv(2, 1), shape(1, 6, 7, 2), shape(3, 4, 4, 2), shape(1, 3, 3, 3), 2);
    ConvChecks.gradients("conv2d 1x1", conv(1, 0), shape(2, 3, 3, 5), shape(4, 1, 1, 5), shape(2, 3, 3, 4), 3);
  }
}
