package ai.vq4j.tensor;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The op case list, {@code tests/ops/cases.txt}, which the native harness (tests/native/harness) reads
 * too: its case lines by family and its per-family tolerances, a bound on the normalised mean squared error
 * against the CPU reference ({@link #nmse}). The file's header defines both; the tolerances are stated
 * there and nowhere else.
 */
final class OpCases {
  static final Path FILE = Path.of("tests", "ops", "cases.txt");

  /** One case line: its family, its name=value parameters and its line number. */
  record Row(String family, Map<String, String> params, int line) {
    int i(String name) {
      String v = params.get(name);
      if (v == null) {
        throw new IllegalArgumentException(FILE + ":" + line + ": " + family + " needs " + name + "=");
      }
      return Integer.parseInt(v);
    }

    String s(String name, String fallback) {
      return params.getOrDefault(name, fallback);
    }

    /** tier=gpu: too slow for the emulated device, run on real GPUs. */
    boolean large() {
      return "gpu".equals(params.get("tier"));
    }
  }

  /** The family's bounds; a negative one is not stated. */
  record Tolerance(double nmse, double nmseTf32, double grad) {}

  private static final List<Row> ROWS = new ArrayList<>();
  private static final Map<String, Tolerance> TOLERANCES = new HashMap<>();

  static {
    List<String> lines;
    try {
      lines = Files.readAllLines(FILE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the op case list " + FILE.toAbsolutePath(), e);
    }
    for (int n = 1; n <= lines.size(); n++) {
      String text = lines.get(n - 1);
      int hash = text.indexOf('#');
      String[] words = (hash >= 0 ? text.substring(0, hash) : text).trim().split("\\s+");
      if (words.length < 2) {
        continue;
      }
      Map<String, String> params = new LinkedHashMap<>();
      for (int w = 2; w < words.length; w++) {
        int eq = words[w].indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException(FILE + ":" + n + ": '" + words[w] + "' is not name=value");
        }
        params.put(words[w].substring(0, eq), words[w].substring(eq + 1));
      }
      switch (words[0]) {
        case "case" -> ROWS.add(new Row(words[1], params, n));
        case "tolerance" -> TOLERANCES.put(words[1], new Tolerance(bound(params, "nmse"),
            bound(params, "nmse_tf32"), bound(params, "grad")));
        default -> throw new IllegalArgumentException(FILE + ":" + n + ": unknown line kind " + words[0]);
      }
    }
  }

  private static double bound(Map<String, String> params, String name) {
    String v = params.get(name);
    return v == null ? -1 : Double.parseDouble(v);
  }

  private OpCases() {}

  /** The case lines of one family, in file order. */
  static List<Row> rows(String family) {
    List<Row> out = new ArrayList<>();
    for (Row r : ROWS) {
      if (r.family.equals(family)) {
        out.add(r);
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(FILE + " has no case of family " + family);
    }
    return out;
  }

  static Tolerance tolerance(String family) {
    Tolerance t = TOLERANCES.get(family);
    if (t == null) {
      throw new IllegalArgumentException(FILE + " has no tolerance line for " + family);
    }
    return t;
  }

  /** sum (got - want)^2 / max(sum want^2, count), as the native harness computes it; NaN when either is. */
  static double nmse(float[] want, float[] got) {
    if (want.length != got.length) {
      return Double.POSITIVE_INFINITY;
    }
    double err = 0;
    double norm = 0;
    for (int i = 0; i < want.length; i++) {
      if (Float.isNaN(want[i]) || Float.isNaN(got[i])) {
        return Double.NaN;
      }
      double e = (double) got[i] - want[i];
      err += e * e;
      norm += (double) want[i] * want[i];
    }
    return err / Math.max(norm, want.length);
  }

  static void assertNmse(String what, float[] want, float[] got, double bound) {
    double e = nmse(want, got);
    assertTrue(e <= bound, what + ": nmse " + e + " > " + bound + " (" + FILE + ")");
  }
}
