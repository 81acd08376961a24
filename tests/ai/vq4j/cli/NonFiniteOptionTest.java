package ai.vq4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every float and double option refuses NaN and infinities (and floats that overflow) before anything runs;
 * counts that would exhaust memory are refused up front.
 */
class NonFiniteOptionTest {
  @TempDir Path dir;

  @Test
  void nonFiniteNumbersAreUsageErrorsNamingTheOption() {
    String[][] cases = {
      {"train", "--lr", "Infinity"}, {"train", "--lr", "NaN"}, {"train", "--lr", "-Infinity"},
      {"train", "--dead-code-threshold", "Infinity"}, {"train", "--beta", "NaN"}, {"train", "--beta", "1e39"},
      {"train-prior", "--lr", "Infinity"}, {"sample", "--temperature", "NaN"}, {"train", "--lr", "1e999"},
      {"train", "--time-limit", "Infinity"}, {"train-prior", "--time-limit", "NaN"},
      {"train-prior", "--dropout", "NaN"}, {"train-prior", "--weight-decay", "Infinity"}, {"sample", "--top-p", "NaN"},
    };
    for (String[] c : cases) {
      String[] a = {c[0], "--out", dir.resolve("never").toString(), c[1], c[2]};
      Object[] r = CliTest.cli(a);
      assertEquals(2, r[0], String.join(" ", c) + ": " + r[1]);
      String text = (String) r[1];
      assertTrue(text.contains(c[1]) && text.contains("'" + c[2] + "'") && text.contains("finite"),
          String.join(" ", c) + ": " + text);
    }
    assertEquals(false, dir.resolve("never").toFile().exists(), "nothing was started");
  }

  @Test
  void aSampleCountThatCannotBeHeldIsRefusedBeforeLoading() {
    Object[] r = CliTest.cli("sample", "--prior", dir.resolve("absent.safetensors").toString(), "-n", "2147483647");
    assertEquals(1, r[0]);
    assertTrue(((String) r[1]).contains("-n must be in 1..10000"), (String) r[1]);
  }

  @Test
  void finiteNumbersStillParse() {
    assertEquals(3e-4, FiniteNumbers.toDouble(" 3e-4"));
    assertEquals(0.25f, FiniteNumbers.toFloat("0.25"));
    assertEquals(-0.0, FiniteNumbers.toDouble("-0"));
  }
}
