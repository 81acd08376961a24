package ai.vq4j.bench;

import ai.vq4j.model.PixelCnnConfig;
import ai.vq4j.model.PixelCnnPrior;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import ai.vq4j.train.PriorStepMetrics;
import ai.vq4j.train.PriorTrainer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One training step of the default Gated PixelCNN prior (K = 512 codes on an 8x8 grid, 15 layers of 64
 * channels, unconditioned: {@link PixelCnnConfig}'s defaults) on a fixed batch of random codes: forward,
 * cross-entropy, backward, Adam (lr 1e-3, as {@code train-prior}), the loss read back every step.
 * bench/torch_prior_step.py is the same model and step in PyTorch; bench/run_prior_step.sh runs both.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 15, time = 1, timeUnit = TimeUnit.SECONDS)
@State(Scope.Thread)
public class PriorStepBench extends Owned {
  @Param({"64"})
  public int batch;

  PriorTrainer trainer;
  Tensor codes;

  @Setup(Level.Trial)
  public void setUp() {
    Device d = open();
    PixelCnnConfig c = new PixelCnnConfig();
    PixelCnnPrior prior = keep(new PixelCnnPrior(c, d));
    trainer = keep(new PriorTrainer(prior, 1e-3, 0, 1));
    Rng rng = new Rng(7);
    int[] v = new int[batch * c.gridSize * c.gridSize];
    for (int i = 0; i < v.length; i++) {
      v[i] = (int) (rng.nextDouble() * c.numCodes);
    }
    codes = keep(Tensor.ofInts(d, v, batch, c.gridSize, c.gridSize));
  }

  @Benchmark
  public PriorStepMetrics step() {
    PriorStepMetrics m = trainer.step(codes, null);
    BenchDevice.finish(dev);
    return m;
  }
}
