package ai.vq4j.tensor;

import static ai.vq4j.tensor.OpHarness.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.vq4j.io.Safetensors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MaskedConv2dOpTest {
  static ConvChecks.Conv conv(Mask mask) {
    return new ConvChecks.Conv() {
      public void forward(Tensor x, Tensor w, Tensor b, Tensor y) {
        Ops.maskedConv2dForward(x, w, b, y, mask);
      }

      public void backwardData(Tensor dy, Tensor w, Tensor dx) {
        Ops.maskedConv2dBackwardData(dy, w, dx, mask);
      }

      public void backwardWeight(Tensor x, Tensor dy, Tensor dw, Tensor db) {
        Ops.maskedConv2dBackwardWeight(x, dy, dw, db, mask);
      }
    };
  }

  static Stream<Arguments> cases() {
    return onEveryBackend("masked_conv2d_A_k3", "masked_conv2d_B_k3", "masked_conv2d_V_A_k3", "masked_conv2d_V_B_k3",
      "masked_conv2d_H_A_k3", "masked_conv2d_H_B_k3", "masked_conv2d_B_k5", "masked_conv2d_H_B_k5",
      "masked_conv2d_V_A_k5");
  }

  @ParameterizedTest
  @MethodSource("cases")
  void matchesPyTorch(String name, Backend backend) {
    Safetensors g = golden(name);
    assertEquals("masked_conv2d", g.meta("op"));
    Mask mask = Mask.valueOf(g.meta("mask_name"));
    assertEquals(meta(g, "mask"), mask.code, "mask codes of Java and the golden script agree");
    ConvChecks.goldenCase(name, conv(mask), backend.device());
  }

  @ParameterizedTest
  @EnumSource(Mask.class)
  void gradientsMatchFiniteDifferences(Mask mask) {
    ConvChecks.gradients("masked " + mask + " k3", conv(mask), shape(2, 4, 5, 2), shape(3, 3, 3, 2), shape(2, 4, 5, 3), 7);
    ConvChecks.gradients("masked " + mask + " k5", conv(mask), shape(1, 5, 5, 2), shape(2, 5, 5, 2), shape(1, 5, 5, 2), 8);
  }

  @Test
  void masksMatchTheirDefinition() {
    // The centre tap: B and the B stacks keep it, A and the A stacks drop it.
    assertEquals(false, Mask.A.keeps(3, 1, 1));
    assertEquals(true, Mask.B.keeps(3, 1, 1));
    assertEquals(false, Mask.V_A.keeps(3, 1, 0));
    assertEquals(true, Mask.V_B.keeps(3, 1, 2));
    assertEquals(true, Mask.H_A.keeps(3, 1, 0));
    assertEquals(false, Mask.H_B.keeps(3, 0, 1));
  }
}
