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
