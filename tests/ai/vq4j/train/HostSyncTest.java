package ai.vq4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.checkpoint.CodeDataset;
import ai.vq4j.model.PixelCnnConfig;
import ai.vq4j.model.PixelCnnPrior;
import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The training loops make no host round trip per step: between two metric drains, queued steps (dead-code
 * restarts included) read nothing back from the device, counted by {@link Device#hostSyncs}, which counts
 * every read of tensor contents and every sync on any backend, so this runs on the CPU too. A drain is one
 * read, and the queued path gives the same metrics as step-by-step reading.
 */
class HostSyncTest {
  static final int STEPS = 30;

  @Test
  void vqVaeStepsQueueWithoutReadingBack() {
    for (boolean ema : new boolean[] {false, true}) {
      VqVaeConfig c = CheckpointTest.tiny(ema);
      c.deadCodeThreshold = 2f;  // restarts every step
      List<VqVaeStepMetrics> eager = new ArrayList<>();
      List<VqVaeStepMetrics> queued = new ArrayList<>();
      for (boolean queue : new boolean[] {false, true}) {
        Rng rng = new Rng(3);
        float[] v = new float[4 * 64];
        try (VqVae model = new VqVae(c, Device.CPU);
             VqVaeTrainer trainer = new VqVaeTrainer(model, 1e-3, 0, 0.08, 1);
             Tensor x = Tensor.zeros(Device.CPU, DType.FLOAT32, 4, 8, 8, 1)) {
          NativeMemoryTest.fill(rng, v, x);
          trainer.queueStep(x);  // the first step reads z_e once, to initialise the codebook from data
          long before = Device.CPU.hostSyncs();
          for (int i = 1; i < STEPS; i++) {
            NativeMemoryTest.fill(rng, v, x);
            if (queue) {
              trainer.queueStep(x);
              assertEquals(before, Device.CPU.hostSyncs(), "host syncs after queued step " + (i + 1));
            } else {
              eager.add(trainer.step(x));
            }
          }
          assertEquals(queue ? STEPS : 0, trainer.pendingMetrics());
          List<VqVaeStepMetrics> drained = trainer.drainMetrics();
          if (queue) {
            assertEquals(before + 1, Device.CPU.hostSyncs(), "a drain is one read");
            queued.addAll(drained.subList(1, drained.size()));
          }
          assertEquals(0, trainer.pendingMetrics());
        }
      }
      assertEquals(eager, queued, (ema ? "EMA" : "plain") + ": queued metrics equal step-by-step ones");
      assertTrue(queued.stream().allMatch(m -> m.restarted() > 0), "restarts ran in every step");
    }
  }

  @Test
  void priorStepsQueueWithoutReadingBack() {
    PixelCnnConfig c = PixelCnnConfig.forCodes(16, 5, 3);
    c.hidden = 8;
    c.layers = 2;
    c.outputHidden = 16;
    CodeDataset dataset = randomCodes(3);
    List<PriorStepMetrics> eager = new ArrayList<>();
    List<PriorStepMetrics> queued = new ArrayList<>();
    for (boolean queue : new boolean[] {false, true}) {
      try (PixelCnnPrior prior = new PixelCnnPrior(c, Device.CPU);
           PriorTrainer trainer = new PriorTrainer(prior, 1e-3, 0, 1)) {
        long before = Device.CPU.hostSyncs();
        for (int i = 0; i < STEPS; i++) {
          if (queue) {
            trainer.queueStep(dataset, 4);
            assertEquals(before, Device.CPU.hostSyncs(), "host syncs after queued prior step " + (i + 1));
          } else {
            eager.add(trainer.step(dataset, 4));
          }
        }
        if (queue) {
          queued.addAll(trainer.drainMetrics());
          assertEquals(before + 1, Device.CPU.hostSyncs(), "a drain is one read");
        }
      }
    }
    assertEquals(eager, queued, "queued prior losses equal step-by-step ones");
  }

  /** 40 random 5x5 grids of 16 codes, with labels in [0, classes) (none for 0 classes). */
  static CodeDataset randomCodes(int classes) {
    Rng data = new Rng(4);
    int count = 40;
    int[] codes = new int[count * 25];
    int[] labels = new int[count];
    for (int i = 0; i < codes.length; i++) {
      codes[i] = data.nextInt(16);
    }
    for (int i = 0; i < count; i++) {
      labels[i] = data.nextInt(3);
    }
    return new CodeDataset(codes, classes > 0 ? labels : null, count, 5, 16, null);
  }

  @Test
  void aFullMetricsBufferIsReadOnItsOwn() {
    try (DeviceMetricsQueue log = new DeviceMetricsQueue(Device.CPU, 2, 3);
         Tensor a = Tensor.zeros(Device.CPU, DType.FLOAT32, 1);
         Tensor b = Tensor.zeros(Device.CPU, DType.FLOAT32, 1)) {
      long before = Device.CPU.hostSyncs();
      for (int s = 1; s <= 7; s++) {
        a.copyFrom(new float[] {s});
        b.copyFrom(new float[] {-s});
        log.record(s, a, b);
      }
      assertEquals(before + 2, Device.CPU.hostSyncs(), "two spills of three rows");
      assertEquals(7, log.pending());
      List<DeviceMetricsQueue.Row> rows = log.drain();
      assertEquals(7, rows.size());
      for (int s = 1; s <= 7; s++) {
        DeviceMetricsQueue.Row r = rows.get(s - 1);
        assertEquals(s, r.step());
        assertEquals(s, r.values()[0]);
        assertEquals(-s, r.values()[1]);
      }
      assertEquals(0, log.drain().size(), "drained rows are gone");
    }
  }
}
