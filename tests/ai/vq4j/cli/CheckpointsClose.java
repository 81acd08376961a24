package ai.vq4j.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.io.Safetensors;
import java.nio.file.Path;
import java.util.function.Predicate;

/** One run's checkpoint against another's: one process against 2 ranks, tensor by tensor. */
final class CheckpointsClose {
  private CheckpointsClose() {}

  /**
   * Every float32 tensor of file in folders a and b (but those skip names) within tolerance * (1 + |a|),
   * element by element; at least atLeast tensors compared, so that a renamed tensor cannot pass unnoticed.
   */
  static void assertClose(Path a, Path b, String file, double tolerance, int atLeast, Predicate<String> skip)
      throws Exception {
    Safetensors x = Safetensors.read(a.resolve(file));
    Safetensors y = Safetensors.read(b.resolve(file));
    int compared = 0;
    for (String name : x.tensors().keySet()) {
      if (!x.tensors().get(name).dtype().equals("F32") || skip.test(name)) {
        continue;
      }
      float[] u = x.floats(name);
      float[] v = y.floats(name);
      for (int i = 0; i < u.length; i++) {
        assertTrue(Math.abs(u[i] - v[i]) <= tolerance * (1 + Math.abs(u[i])),
            name + "[" + i + "]: 1 process " + u[i] + ", 2 ranks " + v[i]);
      }
      compared++;
    }
    assertTrue(compared >= atLeast, "compared only " + compared + " tensors: " + x.tensors().keySet());
  }
}
