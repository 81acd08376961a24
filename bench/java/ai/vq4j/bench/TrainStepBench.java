package ai.vq4j.bench;

import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import ai.vq4j.train.VqVaeStepMetrics;
import ai.vq4j.train.VqVaeTrainer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One VQ-VAE training step (forward, loss, backward, Adam, usage tracking) for a fixed batch of
 * 32x32 images (grey or colour, {@code channels}; batch 32 or 128): the "sonnet" preset (0.69 M parameters, K = 512, D = 64), plain or EMA quantizer.
 * bench/torch_train_step.py times the same model, batch and optimizer in PyTorch; bench/run_train_step.sh
 * runs both and prints images/s side by side. Restarts are off so every step does the same work.
 *
 * <p>{@code device}: {@code cpu} (the default, so CPU runs are unchanged) or {@code cuda} / {@code cuda:N}
 * ({@code -p device=cuda}; bench/gpu/train_step_gpu.sh runs it against PyTorch on the same GPU). Selecting
 * CUDA without a GPU fails the trial's setup with a clear message (see {@link BenchDevice}).
 *
 * <p>Two ways to step: {@code step} reads each step's metrics back (the host waits for the device every step,
 * as {@code VqVaeTrainer.step} does), {@code queued} queues {@value #QUEUED} steps and reads their metrics
 * once, as the training loop does between log steps; on a GPU the difference is what the host round trips
 * cost. Both report time per step.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 3, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 3, timeUnit = TimeUnit.SECONDS)
@State(Scope.Thread)
public class TrainStepBench extends Owned {
  @Param({"32", "128"})
  public int batch;

  /** Image channels: 1 (grey, Fashion-MNIST) or 3 (colour, CIFAR-10). */
  @Param({"1", "3"})
  public int channels;

  @Param({"false", "true"})
  public boolean ema;

  VqVaeTrainer trainer;
  Tensor x;

  @Setup(Level.Trial)
  public void setUp() {
    Device d = open();
    VqVaeConfig c = VqVaeConfig.sonnet(channels);
    c.ema = ema;
    c.restartDeadCodes = false;
    VqVae model = keep(new VqVae(c, d));
    trainer = keep(new VqVaeTrainer(model, 3e-4, 0, 0.11, 1));
    Rng rng = new Rng(5);
    float[] v = new float[batch * 32 * 32 * channels];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (rng.nextDouble() - 0.5);
    }
    x = keep(Tensor.of(d, v, batch, 32, 32, channels));
  }

  static final int QUEUED = 16;

  @Benchmark
  public VqVaeStepMetrics step() {
    VqVaeStepMetrics m = trainer.step(x);
    BenchDevice.finish(dev);
    return m;
  }

  @Benchmark
  @OperationsPerInvocation(QUEUED)
  public List<VqVaeStepMetrics> queued() {
    for (int i = 0; i < QUEUED; i++) {
      trainer.queueStep(x);
    }
    List<VqVaeStepMetrics> m = trainer.drainMetrics();
    BenchDevice.finish(dev);
    return m;
  }
}
