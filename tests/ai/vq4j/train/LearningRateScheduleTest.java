package ai.vq4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Warm-up then cosine decay: its values by the formula, the trainer setting Adam's rate from it, bad ones refused. */
class LearningRateScheduleTest {
  @Test
  void warmupThenCosineValues() {
    LearningRateSchedule s = new LearningRateSchedule("cosine", 1e-3, 4, 12, 1e-5);
    assertEquals(2.5e-4, s.rate(1), 1e-15);
    assertEquals(5e-4, s.rate(2), 1e-15);
    assertEquals(1e-3, s.rate(4), 1e-15, "the peak at the end of the warm-up");
    // Half way through the decay (step 8 of 4..12): the midpoint of peak and floor.
    assertEquals((1e-3 + 1e-5) / 2, s.rate(8), 1e-15);
    // A quarter of the way: floor + (peak - floor) (1 + cos(pi/4)) / 2.
    assertEquals(1e-5 + (1e-3 - 1e-5) * (1 + Math.sqrt(0.5)) / 2, s.rate(6), 1e-15);
    assertEquals(1e-5, s.rate(12), 1e-15, "the floor at the last step");
    assertEquals(1e-5, s.rate(40), 1e-15, "and after it");
    for (long t = 5; t < 12; t++) {
      assertTrue(s.rate(t + 1) < s.rate(t), "decreasing after the warm-up, step " + t);
    }
    LearningRateSchedule noWarmup = new LearningRateSchedule("cosine", 2e-4, 0, 10, 0);
    assertEquals(2e-4 * (1 + Math.cos(Math.PI / 10)) / 2, noWarmup.rate(1), 1e-15);
    assertEquals(3e-4, LearningRateSchedule.constant(3e-4).rate(1234), 0);
  }

  @Test
  void badSchedulesAreRefusedNamingTheFields() {
    assertThrows(IllegalArgumentException.class, () -> new LearningRateSchedule("cosine", 1e-3, 12, 12, 0));
    assertThrows(IllegalArgumentException.class, () -> new LearningRateSchedule("cosine", 1e-3, 0, 10, 2e-3));
    assertThrows(IllegalArgumentException.class, () -> new LearningRateSchedule("step", 1e-3, 0, 10, 0));
    TrainConfig c = new TrainConfig();
    c.steps = 100;
    c.lrSchedule = "cosine";
    c.warmupSteps = 100;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, c::validate);
    assertTrue(e.getMessage().contains("warmupSteps"), e.getMessage());
    c.warmupSteps = 10;
    assertEquals(c.learningRate, c.validate().schedule().rate(10), 1e-15);
  }

  /** The trainer sets Adam's rate before each step from the schedule. */
  @Test
  void theTrainerFollowsTheSchedule() {
    VqVaeConfig config = VqVaeConfig.sonnet(1);
    config.hidden = 8;
    config.residualHidden = 4;
    config.embeddingDim = 4;
    config.numEmbeddings = 8;
    LearningRateSchedule s = new LearningRateSchedule("cosine", 1e-3, 2, 5, 1e-4);
    try (VqVae model = new VqVae(config, Device.CPU);
         VqVaeTrainer trainer = new VqVaeTrainer(model, 1e-3, 0, 0.1, 1);
         Tensor x = Tensor.zeros(Device.CPU, DType.FLOAT32, 2, 32, 32, 1)) {
      trainer.setSchedule(s);
      for (long t = 1; t <= 5; t++) {
        trainer.step(x);
        assertEquals(s.rate(t), trainer.optimizer().learningRate(), 1e-18, "step " + t);
      }
    }
  }
}
