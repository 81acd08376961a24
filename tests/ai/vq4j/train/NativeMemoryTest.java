package ai.vq4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.model.PixelCnnConfig;
import ai.vq4j.model.PixelCnnPrior;
import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The design's leak test: after the first steps have allocated every buffer, further training steps (dead-code
 * restarts included) allocate no native memory, and closing the model and trainer frees all of it. Allocations
 * are counted (a counter that only grows), since tensors other tests left to the garbage collector may be
 * freed at any moment and would move a live count down.
 */
class NativeMemoryTest {
  @Test
  void vqVaeTrainingAllocatesNothingPerStepAndFreesEverything() {
    long baseCount = Tensor.liveCount();
    long baseBytes = Tensor.liveBytes();
    VqVaeConfig c = CheckpointTest.tiny(false);
    c.deadCodeThreshold = 2f; // restarts every step: their path must not allocate either
    Rng rng = new Rng(3);
    float[] v = new float[4 * 64];
    try (VqVae model = new VqVae(c, Device.CPU);
         VqVaeTrainer trainer = new VqVaeTrainer(model, 1e-3, 0, 0.08, 1);
         Tensor x = Tensor.zeros(Device.CPU, DType.FLOAT32, 4, 8, 8, 1)) {
      for (int i = 0; i < 3; i++) {
        fill(rng, v, x);
        trainer.step(x);
      }
      long allocated = Tensor.allocationCount();
      int restarted = 0;
      for (int i = 0; i < 50; i++) {
        fill(rng, v, x);
        restarted += trainer.step(x).restarted();
        assertEquals(allocated, Tensor.allocationCount(), "tensors allocated by step " + (i + 4));
      }
      assertTrue(restarted > 0, "the restart path ran");
    }
    assertTrue(Tensor.liveCount() <= baseCount, "every tensor freed on close");
    assertTrue(Tensor.liveBytes() <= baseBytes, "every byte freed on close");
  }

  @Test
  void priorTrainingAllocatesNothingPerStepAndFreesEverything() {
    long baseCount = Tensor.liveCount();
    PixelCnnConfig c = PixelCnnConfig.forCodes(16, 5, 3);
    c.hidden = 8;
    c.layers = 2;
    c.outputHidden = 16;
    Rng rng = new Rng(4);
    int[] codes = new int[4 * 25];
    try (PixelCnnPrior prior = new PixelCnnPrior(c, Device.CPU);
         PriorTrainer trainer = new PriorTrainer(prior, 1e-3, 0, 1);
         Tensor grid = Tensor.zeros(Device.CPU, DType.INT32, 4, 5, 5);
         Tensor labels = Tensor.ofInts(Device.CPU, new int[] {0, 1, 2, 0}, 4)) {
      trainer.step(next(rng, codes, grid), labels);
      long allocated = Tensor.allocationCount();
      for (int i = 0; i < 20; i++) {
        trainer.step(next(rng, codes, grid), labels);
        assertEquals(allocated, Tensor.allocationCount(), "tensors allocated by prior step " + (i + 2));
      }
    }
    assertTrue(Tensor.liveCount() <= baseCount, "every tensor freed on close");
  }

  static void fill(Rng rng, float[] v, Tensor x) {
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (rng.nextDouble() - 0.5);
    }
    x.copyFrom(v);
  }

  static Tensor next(Rng rng, int[] codes, Tensor grid) {
    for (int i = 0; i < codes.length; i++) {
      codes[i] = rng.nextInt(16);
    }
    grid.copyFrom(codes);
    return grid;
  }
}
