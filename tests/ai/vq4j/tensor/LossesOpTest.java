package ai.vq4j.tensor;

import static ai.vq4j.tensor.OpHarness.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.io.Safetensors;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LossesOpTest {
  @ParameterizedTest
  @EnumSource(Backend.class)
  void mseMatchesPyTorch(Backend backend) {
    Safetensors g = golden("mse");
    float scale = metaF(g, "scale");
    try (Scope s = new Scope(backend.device())) {
      Tensor pred = s.f(g, "pred");
      Tensor target = s.f(g, "target");
      Tensor loss = s.zeros(1);
      Ops.mseForward(pred, target, loss);
      assertClose("mse loss", g.floats("loss"), loss.toFloatArray(), 1e-6, 1e-5);
      Tensor dpred = s.zerosLike(g, "pred");
      Ops.mseBackward(pred, target, dpred, scale);
      assertClose("mse dpred", g.floats("dpred"), dpred.toFloatArray(), 1e-6, 1e-5);
    }
  }

  @Test
  void mseGradientMatchesFiniteDifferences() {
    Random rng = new Random(31);
    float[] pred = randn(rng, 30);
    float[] target = randn(rng, 30);
    float[] dpred;
    try (Scope s = new Scope()) {
      Tensor d = s.zeros(30);
      Ops.mseBackward(s.f(pred, 30), s.f(target, 30), d, 1f);
      dpred = d.toFloatArray();
    }
    checkGradient("mse dpred", pred, dpred, pv -> {
      try (Scope s = new Scope()) {
        Tensor loss = s.zeros(1);
        Ops.mseForward(s.f(pv, 30), s.f(target, 30), loss);
        return loss.item();
      }
    }, 1e-2, 1e-4, 1e-2, 30);
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void softmaxXentMatchesPyTorch(Backend backend) {
    Safetensors g = golden("softmax_xent");
    float scale = metaF(g, "scale");
    try (Scope s = new Scope(backend.device())) {
      Tensor logits = s.f(g, "logits");
      Tensor targets = s.i(g, "targets");
      Tensor loss = s.zeros(1);
      Tensor nll = s.zerosLike(g, "nll");
      Ops.softmaxXentForward(logits, targets, loss, nll);
      assertClose("xent loss", g.floats("loss"), loss.toFloatArray(), 1e-5, 1e-5);
      assertClose("xent nll", g.floats("nll"), nll.toFloatArray(), 1e-5, 1e-5);
      Tensor dlogits = s.zerosLike(g, "logits");
      Ops.softmaxXentBackward(logits, targets, dlogits, scale);
      assertClose("xent dlogits", g.floats("dlogits"), dlogits.toFloatArray(), 1e-6, 1e-5);
    }
  }

  @Test
  void softmaxXentGradientMatchesFiniteDifferences() {
    Random rng = new Random(32);
    int rows = 6;
    int k = 7;
    float[] logits = randn(rng, rows * k);
    int[] targets = rng.ints(rows, 0, k).toArray();
    float[] dlogits;
    try (Scope s = new Scope()) {
      Tensor d = s.zeros(rows, k);
      Ops.softmaxXentBackward(s.f(logits, rows, k), s.i(targets, rows), d, 1f);
      dlogits = d.toFloatArray();
    }
    checkGradient("xent dlogits", logits, dlogits, lv -> {
      try (Scope s = new Scope()) {
        Tensor loss = s.zeros(1);
        Ops.softmaxXentForward(s.f(lv, rows, k), s.i(targets, rows), loss, null);
        return loss.item();
      }
    }, 1e-2, 1e-4, 1e-2, rows * k);
  }

  @Test
  void softmaxXentIsStableForHugeLogits() {
    try (Scope s = new Scope()) {
      Tensor loss = s.zeros(1);
      Ops.softmaxXentForward(s.f(new float[] {1000f, 0f, -1000f}, 1, 3), s.i(new int[] {1}, 1), loss, null);
      assertEquals(1000f, loss.item(), 1e-3f);
    }
  }

  @Test
  void targetOutOfRangeIsANativeError() {
    try (Scope s = new Scope()) {
      Vq4jException e = assertThrows(Vq4jException.class, () -> Ops.softmaxXentForward(
          s.f(new float[6], 2, 3), s.i(new int[] {0, 3}, 2), s.zeros(1), null));
      assertEquals("softmaxXentForward", e.op());
      assertTrue(e.getMessage().contains("vq4j_softmax_xent_fwd"), e.getMessage());
    }
  }
}
