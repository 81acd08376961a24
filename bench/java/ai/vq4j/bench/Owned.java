package ai.vq4j.bench;

import ai.vq4j.tensor.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Base of the benchmarks' states: the device ({@code -p device=...}) and what a trial's setup opens on it (models,
 * trainers, tensors), closed after the trial, the last opened first. A setup that fails half-way (cuda selected
 * without a GPU) leaves only what it opened to close.
 */
@State(Scope.Benchmark)
public abstract class Owned {
  /** cpu (default), cuda or cuda:N. */
  @Param({"cpu"})
  public String device;

  private final List<AutoCloseable> owned = new ArrayList<>();
  final SplittableRandom rng = new SplittableRandom(42);
  Device dev;

  /** Resolves {@link #device}; every state's trial setup calls it first. */
  Device open() {
    dev = BenchDevice.resolve(device);
    return dev;
  }

  <T extends AutoCloseable> T keep(T resource) {
    owned.add(resource);
    return resource;
  }

  @TearDown(Level.Trial)
  public void close() throws Exception {
    if (dev != null) {
      BenchDevice.finish(dev);
    }
    for (int i = owned.size() - 1; i >= 0; i--) {
      owned.get(i).close();
    }
    owned.clear();
  }
}
