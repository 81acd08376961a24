package ai.vq4j.bench;

import ai.vq4j.model.PixelCnnConfig;
import ai.vq4j.model.PixelCnnPrior;
import ai.vq4j.model.PixelCnnSampler;
import ai.vq4j.model.PixelCnnSampler.Method;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import java.util.SplittableRandom;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Sampling a Gated PixelCNN prior on the CPU: n grids of 8x8 codes, K = 512, the default prior (p = 64, 15
 * layers, 7x7 then 3x3 kernels, a 512-wide head, 3.5 M parameters). {@code plain}: a full forward pass (direct
 * ops) per position, 64 passes per grid; {@code fast}: the row- and position-cached method, which draws the same
 * codes. {@code trainingForward} is a reference, not a sampler: the same 64 full passes through the training
 * forward (BLAS convs), which cannot promise the plain method's bits, to show what the direct ops cost.
 * One operation samples all n grids. The weights are the untrained init: the cost does not depend on them.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 1, time = 3, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 5, timeUnit = TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class PixelCnnSamplingBench {
  @Param({"1", "16"})
  public int n;

  PixelCnnPrior prior;
  PixelCnnSampler sampler;
  Tensor codes;
  long seed;

  @Setup(Level.Trial)
  public void setup() {
    prior = new PixelCnnPrior(PixelCnnConfig.forCodes(512, 8, 0), Device.CPU);
    sampler = new PixelCnnSampler(prior);
    int[] c = new int[n * 64];
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < c.length; i++) {
      c[i] = r.nextInt(512);
    }
    codes = Tensor.ofInts(Device.CPU, c, n, 8, 8);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    codes.close();
    prior.close();
  }

  @Benchmark
  public int[] plain() {
    return sampler.sampleCodes(n, null, 1.0, seed++, Method.PLAIN, null);
  }

  @Benchmark
  public int[] fast() {
    return sampler.sampleCodes(n, null, 1.0, seed++, Method.FAST, null);
  }

  /** 64 training-forward passes over the grid (no draws): the BLAS network's cost, for comparison. */
  @Benchmark
  public float trainingForward() {
    float sum = 0;
    for (int q = 0; q < 64; q++) {
      sum += prior.forward(codes, null).toFloatArray()[q];
    }
    return sum;
  }
}
