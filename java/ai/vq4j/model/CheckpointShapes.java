package ai.vq4j.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Compares the tensors a checkpoint holds under a prefix with those its model config implies, before any
 * weight is copied: a config edited to fewer residual blocks (or any other field) must not load the
 * tensors it still matches and silently drop the rest.
 */
public final class CheckpointShapes {
  private CheckpointShapes() {}

  /** Models this small are built even when their count is wrong, so that requireExactly can name the tensors. */
  static final long CHEAP_TO_BUILD = 1L << 22;

  /**
   * Before a model is built: the elements of the file's tensors under the prefix must add up to the
   * parameter count the config implies. A mismatch is refused here when the model would be costly to build
   * (a config that does not describe the file costs no allocation); a cheap one is left to
   * {@link #requireExactly}, whose message names the tensors.
   */
  public static void requireCount(Path file, Map<String, int[]> inFile, String prefix, long expected)
      throws IOException {
    if (expected <= CHEAP_TO_BUILD) {
      return;
    }
    long have = 0;
    for (Map.Entry<String, int[]> e : inFile.entrySet()) {
      if (e.getKey().startsWith(prefix)) {
        long n = 1;
        for (int d : e.getValue()) {
          n *= d;  // each tensor was read into one array: no overflow
        }
        have += n;
      }
    }
    if (have != expected) {
      throw new IOException(file + ": model_config describes a model of " + expected + " parameters but the file's '"
          + prefix + "*' tensors hold " + have + ". Was model_config edited, or the file written by another model?");
    }
  }

  /**
   * Throws an IOException naming the file and every tensor that is missing, unexpected or of the wrong shape.
   *
   * @param inFile the shapes of the file's tensors, by name
   * @param expected the shapes the model needs, by name (already carrying the prefix)
   */
  public static void requireExactly(Path file, Map<String, int[]> inFile, String prefix, Map<String, int[]> expected)
      throws IOException {
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, int[]> e : expected.entrySet()) {
      int[] have = inFile.get(e.getKey());
      if (have == null) {
        problems.add("'" + e.getKey() + "' is missing");
      } else if (!Arrays.equals(have, e.getValue())) {
        problems.add("'" + e.getKey() + "' has shape " + Arrays.toString(have) + ", the model needs "
            + Arrays.toString(e.getValue()));
      }
    }
    for (String name : new TreeSet<>(inFile.keySet())) {
      if (name.startsWith(prefix) && !expected.containsKey(name)) {
        problems.add("'" + name + "' is not part of the model");
      }
    }
    if (!problems.isEmpty()) {
      int shown = Math.min(problems.size(), 5);
      throw new IOException(file + ": the tensors do not match model_config (" + problems.size()
          + " problem(s)): " + String.join("; ", problems.subList(0, shown)) + (shown < problems.size() ? "; ..." : "")
          + ". Was model_config edited, or the file written by another model?");
    }
  }
}
