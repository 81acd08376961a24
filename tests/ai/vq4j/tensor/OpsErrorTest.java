package ai.vq4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.bridge.Vq4jNative;
import org.junit.jupiter.api.Test;

/** The error paths of the op facade: nothing bad reaches native code, and native failures come back. */
class OpsErrorTest {
  @Test
  void wrongConvShapesNameTheOpAndTheShapes() {
    try (OpHarness.Scope s = new OpHarness.Scope()) {
      Tensor x = s.zeros(2, 8, 8, 3);
      Tensor w = s.zeros(4, 3, 3, 5); // C_in 5 against an input of 3 channels
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Ops.conv2dForward(x, w, null, s.zeros(2, 8, 8, 4), 1, 1));
      assertTrue(e.getMessage().startsWith("conv2dForward:"), e.getMessage());
      assertTrue(e.getMessage().contains("[2, 8, 8, 3]") && e.getMessage().contains("[4, 3, 3, 5]"), e.getMessage());

      Tensor wOk = s.zeros(4, 3, 3, 3);
      IllegalArgumentException out = assertThrows(IllegalArgumentException.class,
          () -> Ops.conv2dForward(x, wOk, null, s.zeros(2, 4, 4, 4), 1, 1));
      assertTrue(out.getMessage().contains("y must be [2, 8, 8, 4]"), out.getMessage());

      assertThrows(IllegalArgumentException.class, () -> Ops.conv2dForward(x, wOk, s.zeros(5), s.zeros(2, 8, 8, 4), 1, 1),
          "bias of the wrong length");
      assertThrows(IllegalArgumentException.class, () -> Ops.conv2dForward(x, s.zeros(4, 11, 11, 3), null,
          s.zeros(2, 1, 1, 4), 1, 0), "kernel larger than the input");
      assertThrows(IllegalArgumentException.class, () -> Ops.conv2dForward(x, wOk, null, s.zeros(2, 8, 8, 4), 0, 1),
          "stride 0");
      assertThrows(IllegalArgumentException.class, () -> Ops.maskedConv2dForward(x, s.zeros(4, 2, 2, 3), null,
          s.zeros(2, 8, 8, 4), Mask.B), "even masked kernel");
    }
  }

  @Test
  void wrongShapesAndTypesOfTheOtherOps() {
    try (OpHarness.Scope s = new OpHarness.Scope()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Ops.vqQuantizeForward(s.zeros(10, 64), s.zeros(512, 32), s.intZeros(10), s.zeros(10, 64)));
      assertTrue(e.getMessage().startsWith("vqQuantizeForward:") && e.getMessage().contains("[512, 32]"),
          e.getMessage());
      assertThrows(IllegalArgumentException.class,
          () -> Ops.vqQuantizeForward(s.zeros(10, 4), s.zeros(8, 4), s.zeros(10), s.zeros(10, 4)),
          "float codes");
      assertThrows(IllegalArgumentException.class,
          () -> Ops.vqQuantizeForward(s.zeros(10, 4), s.zeros(8, 4), s.intZeros(9), s.zeros(10, 4)),
          "one code short");
      assertThrows(IllegalArgumentException.class, () -> Ops.add(s.zeros(3), s.zeros(4), s.zeros(3)));
      assertThrows(IllegalArgumentException.class, () -> Ops.mseForward(s.zeros(3), s.zeros(3), s.zeros(2)));
      assertThrows(IllegalArgumentException.class, () -> Ops.gatedActivationForward(s.zeros(2, 6), s.zeros(2, 4)));
      assertThrows(IllegalArgumentException.class,
          () -> Ops.softmaxXentForward(s.zeros(4, 5), s.intZeros(3), s.zeros(1), null));
      assertThrows(IllegalArgumentException.class,
          () -> Ops.vqEmaUpdate(s.zeros(8), s.zeros(8, 4), s.zeros(7), s.zeros(8, 4), s.zeros(8, 4), 0.99f, 1e-5f));
      assertThrows(IllegalArgumentException.class, () -> Ops.vqCodeSums(s.intZeros(5), s.zeros(6, 4), s.zeros(8),
          s.zeros(8, 4)), "one code per row");
      assertThrows(IllegalArgumentException.class,
          () -> Ops.adamStep(s.zeros(3), s.zeros(3), s.zeros(3), s.zeros(3), 1e-3, 0.9, 0.999, 1e-8, 0, 0, false), "t = 0");
    }
  }

  @Test
  void aNativeFailureBecomesAVq4jExceptionWithTheOpAndMessage() {
    try (OpHarness.Scope s = new OpHarness.Scope()) {
      Tensor x = s.f(new float[] {-1, 1}, 2);
      Ops.injectNativeFailure(Device.CPU);
      Vq4jException e = assertThrows(Vq4jException.class, () -> Ops.reluForward(x, x));
      assertEquals("reluForward", e.op());
      assertEquals(Vq4jNative.VQ4J_ERR_ARGUMENT, e.status());
      assertTrue(e.getMessage().contains("vq4j_relu_fwd: injected failure"), e.getMessage());
      // The context recovers: the next call works.
      Ops.reluForward(x, x);
      OpHarness.assertClose("after failure", new float[] {0, 1}, x.toFloatArray(), 0, 0);
    }
  }

  @Test
  void dataDependentNativeChecksReportTheRow() {
    try (OpHarness.Scope s = new OpHarness.Scope()) {
      Vq4jException e = assertThrows(Vq4jException.class, () -> Ops.vqCodeSums(s.i(new int[] {0, 9}, 2),
          s.zeros(2, 2), s.zeros(3), s.zeros(3, 2)));
      assertEquals("vqCodeSums", e.op());
      assertTrue(e.getMessage().contains("9"), e.getMessage());
    }
  }

  @Test
  void aClosedTensorIsRefusedBeforeAnyNativeCall() {
    Tensor x = Tensor.zeros(Device.CPU, DType.FLOAT32, 4);
    Tensor y = Tensor.zeros(Device.CPU, DType.FLOAT32, 4);
    x.close();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Ops.reluForward(x, y));
    assertTrue(e.getMessage().contains("reluForward") && e.getMessage().contains("closed"), e.getMessage());
    assertThrows(IllegalStateException.class, x::toFloatArray);
    x.close(); // closing twice is harmless
    y.close();
  }

  @Test
  void aMissingGpuIsAClearError() {
    if (Device.cudaDeviceCount() > 0) {
      return; // the error path needs a machine without a GPU; on a GPU machine opening works
    }
    Vq4jException e = assertThrows(Vq4jException.class, () -> Device.cuda(0));
    assertTrue(e.getMessage().contains("CUDA"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Device.cuda(-1));
  }
}
