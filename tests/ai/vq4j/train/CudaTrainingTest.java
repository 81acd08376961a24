package ai.vq4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.vq4j.checkpoint.CodeDataset;
import ai.vq4j.checkpoint.VqVaeCheckpoint;
import ai.vq4j.data.Batcher;
import ai.vq4j.data.Dataset;
import ai.vq4j.model.PixelCnnConfig;
import ai.vq4j.model.PixelCnnPrior;
import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.nn.Parameter;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Training on the GPU end to end (skipped, visibly, without one): the same loop as on the CPU gives the same
 * losses up to the kernels' summation order, the queued steps make no host round trip on the real device,
 * and checkpoints move between devices both ways with bit-identical weights.
 */
class CudaTrainingTest {
  @TempDir
  Path dir;

  Device gpu;

  @BeforeEach
  void needsGpu() {
    assumeTrue(Device.cudaDeviceCount() > 0, "no CUDA GPU on this machine: GPU training tests need one");
    gpu = Device.cuda(0);
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void vqVaeStepsOnCudaFollowTheCpu(boolean ema) {
    VqVaeConfig c = CheckpointTest.tiny(ema);
    c.deadCodeThreshold = 2f;  // the restart path runs on both devices every step
    Dataset data = CheckpointTest.synthetic(20);
    List<VqVaeStepMetrics> cpu = steps(c, Device.CPU, data, 4);
    List<VqVaeStepMetrics> cuda = steps(c, gpu, data, 4);
    for (int i = 0; i < cpu.size(); i++) {
      VqVaeStepMetrics a = cpu.get(i);
      VqVaeStepMetrics b = cuda.get(i);
      // Step 1 starts from identical weights: only the order of the kernels' sums differs.
      double tol = i == 0 ? 1e-4 : 5e-2;
      assertEquals(a.loss(), b.loss(), tol * Math.abs(a.loss()), "step " + a.step() + " loss");
      assertEquals(a.reconMse(), b.reconMse(), tol * Math.abs(a.reconMse()), "step " + a.step() + " mse");
      assertEquals(a.deadCodes(), b.deadCodes(), "step " + a.step() + " dead codes");
    }
  }

  private static List<VqVaeStepMetrics> steps(VqVaeConfig c, Device device, Dataset data, int n) {
    Batcher batcher = CheckpointTest.batcher(data);
    try (VqVae model = new VqVae(c, device);
         VqVaeTrainer trainer = new VqVaeTrainer(model, 1e-4, 0, 0.08, 5);
         Tensor x = Tensor.zeros(device, DType.FLOAT32, 4, 8, 8, 1)) {
      batcher.next(x, null);
      trainer.queueStep(x);
      long syncs = device.hostSyncs();
      while (trainer.steps() < n) {
        batcher.next(x, null);
        trainer.queueStep(x);
      }
      assertEquals(syncs, device.hostSyncs(), device + ": queued steps wait for nothing");
      List<VqVaeStepMetrics> out = trainer.drainMetrics();
      assertEquals(n, out.size());
      return out;
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void checkpointsMoveBetweenDevices(boolean ema) throws IOException {
    Dataset data = CheckpointTest.synthetic(20);
    Path onGpu = dir.resolve("gpu.safetensors");
    Path onCpu = dir.resolve("cpu.safetensors");
    Batcher b = CheckpointTest.batcher(data);
    float[][] gpuWeights;
    try (VqVae model = new VqVae(CheckpointTest.tiny(ema), gpu);
         VqVaeTrainer trainer = new VqVaeTrainer(model, 1e-3, 0, 0.08, 5);
         Tensor x = Tensor.zeros(gpu, DType.FLOAT32, 4, 8, 8, 1)) {
      while (trainer.steps() < 3) {
        b.next(x, null);
        trainer.queueStep(x);
      }
      trainer.drainMetrics();
      TrainingCheckpoint.save(onGpu, trainer, CheckpointTest.trainConfig(), Map.of("data_state", b.state().encode()));
      gpuWeights = CheckpointTest.values(model);
    }
    // GPU -> CPU: the same bits, and training goes on.
    VqVaeCheckpoint ck = VqVaeCheckpoint.read(onGpu);
    try (VqVae model = ck.model(Device.CPU);
         VqVaeTrainer trainer = new VqVaeTrainer(model, 1e-3, 0, 0.08, 5);
         Tensor x = Tensor.zeros(Device.CPU, DType.FLOAT32, 4, 8, 8, 1)) {
      trainer.restore(TrainingCheckpoint.of(ck.fields()));
      float[][] loaded = CheckpointTest.values(model);
      for (int i = 0; i < loaded.length; i++) {
        assertArrayEquals(gpuWeights[i], loaded[i], "parameter " + i + " after GPU -> CPU");
      }
      b.next(x, null);
      assertTrue(Double.isFinite(trainer.step(x).loss()));
      TrainingCheckpoint.save(onCpu, trainer, CheckpointTest.trainConfig(), Map.of("data_state", b.state().encode()));
      float[][] cpuWeights = CheckpointTest.values(model);
      // CPU -> GPU.
      VqVaeCheckpoint back = VqVaeCheckpoint.read(onCpu);
      try (VqVae again = back.model(gpu);
           VqVaeTrainer resumed = new VqVaeTrainer(again, 1e-3, 0, 0.08, 5);
           Tensor y = Tensor.zeros(gpu, DType.FLOAT32, 4, 8, 8, 1)) {
        resumed.restore(TrainingCheckpoint.of(back.fields()));
        float[][] moved = CheckpointTest.values(again);
        for (int i = 0; i < moved.length; i++) {
          assertArrayEquals(cpuWeights[i], moved[i], "parameter " + i + " after CPU -> GPU");
        }
        for (Parameter p : trainer.optimizer().parameters()) {
          Parameter q = resumed.optimizer().parameters().stream().filter(z -> z.name().equals(p.name())).findFirst()
              .orElseThrow();
          assertArrayEquals(trainer.optimizer().firstMoment(p).toFloatArray(),
              resumed.optimizer().firstMoment(q).toFloatArray(), "adam m " + p.name());
        }
        assertArrayEquals(model.quantizer().usage(), again.quantizer().usage(), "usage EMA");
        b.next(y, null);
        assertTrue(Double.isFinite(resumed.step(y).loss()));
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 3})
  void priorStepsOnCudaFollowTheCpu(int classes) {
    PixelCnnConfig c = PixelCnnConfig.forCodes(16, 5, classes);
    c.hidden = 8;
    c.layers = 2;
    c.outputHidden = 16;
    CodeDataset dataset = HostSyncTest.randomCodes(classes);
    double[][] losses = new double[2][];
    Device[] devices = {Device.CPU, gpu};
    for (int d = 0; d < 2; d++) {
      try (PixelCnnPrior prior = new PixelCnnPrior(c, devices[d]);
           PriorTrainer trainer = new PriorTrainer(prior, 1e-3, 0, 1)) {
        trainer.queueStep(dataset, 4);
        long syncs = devices[d].hostSyncs();
        for (int i = 1; i < 5; i++) {
          trainer.queueStep(dataset, 4);
        }
        assertEquals(syncs, devices[d].hostSyncs(), devices[d] + ": queued prior steps wait for nothing");
        losses[d] = trainer.drainMetrics().stream().mapToDouble(PriorStepMetrics::loss).toArray();
      }
    }
    assertEquals(losses[0][0], losses[1][0], 1e-4 * losses[0][0], "first prior step loss");
    for (int i = 1; i < losses[0].length; i++) {
      assertEquals(losses[0][i], losses[1][i], 1e-2 * losses[0][i], "prior step " + (i + 1) + " loss");
    }
  }
}
