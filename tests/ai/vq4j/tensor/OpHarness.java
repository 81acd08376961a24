package ai.vq4j.tensor;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.vq4j.io.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The one op-test harness (after ggml's test-backend-ops): golden values written by PyTorch
 * ({@code tests/golden/make_golden.py}), a finite-difference check for every backward, and tensors
 * scoped to a test.
 */
final class OpHarness {
  static final Path GOLDEN = Path.of("tests", "golden", "data");

  private OpHarness() {}

  static Safetensors golden(String name) {
    Path file = GOLDEN.resolve(name + ".safetensors");
    if (!Files.exists(file)) {
      fail("golden file " + file + " is missing: run tests/golden/make_golden.py (see tests/golden/README.md)");
    }
    try {
      return Safetensors.read(file);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  static int meta(Safetensors g, String key) {
    return Integer.parseInt(g.meta(key));
  }

  static float metaF(Safetensors g, String key) {
    return Float.parseFloat(g.meta(key));
  }

  static double metaD(Safetensors g, String key) {
    return Double.parseDouble(g.meta(key));
  }

  /** See {@link ai.vq4j.Close#assertClose}; here so the op tests reach it with the rest of the harness. */
  static void assertClose(String what, float[] expected, float[] actual, double atol, double rtol) {
    ai.vq4j.Close.assertClose(what, expected, actual, atol, rtol);
  }

  /**
   * Central differences of a scalar loss with respect to x, compared with the analytic gradient at up to
   * maxChecks elements spread over x. loss must not modify its argument.
   */
  static void checkGradient(String what, float[] x, float[] analytic, ToDoubleFunction<float[]> loss, double h,
      double atol, double rtol, int maxChecks) {
    assertTrue(x.length == analytic.length, what + ": gradient length");
    int step = Math.max(1, x.length / maxChecks);
    int checked = 0;
    for (int i = 0; i < x.length; i += step) {
      float[] xp = x.clone();
      float[] xm = x.clone();
      xp[i] = (float) (x[i] + h);
      xm[i] = (float) (x[i] - h);
      double numeric = (loss.applyAsDouble(xp) - loss.applyAsDouble(xm)) / ((double) xp[i] - xm[i]);
      double err = Math.abs(numeric - analytic[i]);
      if (!(err <= atol + rtol * Math.abs(numeric))) {
        fail(String.format("%s: d/dx[%d] numeric %.6g analytic %.6g (error %.3g)", what, i, numeric, analytic[i],
            err));
      }
      checked++;
    }
    assertTrue(checked > 0, what + ": nothing checked");
  }

  static float[] randn(Random rng, int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) rng.nextGaussian();
    }
    return out;
  }

  static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return s;
  }

  static int[] shape(int... dims) {
    return dims;
  }

  static boolean gpuPresent() {
    return Device.cudaDeviceCount() > 0;
  }

  /**
   * The backends every golden test runs on. CUDA is skipped, visibly, where there is no GPU; on a GPU
   * machine an op that has no CUDA kernel yet fails there with the native "no CUDA kernel" error.
   */
  enum Backend {
    CPU,
    CUDA;

    Device device() {
      if (this == CPU) {
        return Device.CPU;
      }
      assumeTrue(gpuPresent(), "no CUDA GPU on this machine: the CUDA run of this test needs one");
      return Device.cuda(0);
    }
  }

  /** Every case on every backend, for a parameterized test taking (String name, Backend backend). */
  static Stream<Arguments> onEveryBackend(String... cases) {
    return Arrays.stream(cases).flatMap(c -> Arrays.stream(Backend.values()).map(b -> Arguments.of(c, b)));
  }

  /** Tensors that live as long as one test; closed together. */
  static final class Scope implements AutoCloseable {
    private final List<Tensor> owned = new ArrayList<>();
    final Device device;

    Scope() {
      this(Device.CPU);
    }

    Scope(Device device) {
      this.device = device;
    }

    Tensor keep(Tensor t) {
      owned.add(t);
      return t;
    }

    Tensor f(float[] values, int... shape) {
      return keep(Tensor.of(device, values, shape));
    }

    Tensor i(int[] values, int... shape) {
      return keep(Tensor.ofInts(device, values, shape));
    }

    Tensor zeros(int... shape) {
      return keep(Tensor.zeros(device, DType.FLOAT32, shape));
    }

    Tensor intZeros(int... shape) {
      return keep(Tensor.zeros(device, DType.INT32, shape));
    }

    /** The golden F32 tensor as a tensor on this scope's device. */
    Tensor f(Safetensors g, String name) {
      return f(g.floats(name), g.shape(name));
    }

    /** The golden I32 tensor as a tensor on this scope's device. */
    Tensor i(Safetensors g, String name) {
      return i(g.ints(name), g.shape(name));
    }

    Tensor zerosLike(Safetensors g, String name) {
      return zeros(g.shape(name));
    }

    @Override
    public void close() {
      for (Tensor t : owned) {
        t.close();
      }
    }
  }
}
