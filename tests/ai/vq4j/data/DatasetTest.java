package ai.vq4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class DatasetTest {
  /** Four 2x3x2 images, value of (i, y, x, c) = 50 i + 10 y + 3 x + c + 1, labels 1, 0, 1, 3. */
  static Dataset small() {
    byte[] p = new byte[4 * 2 * 3 * 2];
    for (int i = 0; i < 4; i++) {
      for (int y = 0; y < 2; y++) {
        for (int x = 0; x < 3; x++) {
          for (int c = 0; c < 2; c++) {
            p[((i * 2 + y) * 3 + x) * 2 + c] = (byte) (50 * i + 10 * y + 3 * x + c + 1);
          }
        }
      }
    }
    return Dataset.ofUint8("small", p, 4, 2, 3, 2, new int[] {1, 0, 1, 3}, List.of());
  }

  @Test
  void padsCentredWithBackground() {
    Dataset d = small().padTo(6, 6);
    assertEquals(6, d.height());
    assertEquals(6, d.width());
    // 2 rows of excess: 2 above; 3 columns: 1 left, 2 right
    for (int i = 0; i < 4; i++) {
      for (int y = 0; y < 6; y++) {
        for (int x = 0; x < 6; x++) {
          for (int c = 0; c < 2; c++) {
            boolean inside = y >= 2 && y < 4 && x >= 1 && x < 4;
            float want = inside ? 50 * i + 10 * (y - 2) + 3 * (x - 1) + c + 1 : 0;
            assertEquals(want, d.value(i, y, x, c), "(" + i + ", " + y + ", " + x + ", " + c + ")");
          }
        }
      }
    }
    assertArrayEquals(small().labels(), d.labels());
    assertEquals(new Dataset.Area(0, 0, 2, 3), small().nativeArea());
    assertEquals(new Dataset.Area(2, 1, 2, 3), d.nativeArea());
    // Padding twice nests the areas; scaling and slicing keep them.
    assertEquals(new Dataset.Area(3, 2, 2, 3), d.padTo(8, 8).scaled().subset(1, 3).withName("x").nativeArea());
    assertThrows(IllegalStateException.class, () -> small().scaled().padTo(6, 6), "zero is not background after scaling");
    assertEquals(-0.5f, small().scaled().padTo(4, 4, -0.5f).value(0, 0, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> small().padTo(1, 6));
  }

  @Test
  void scalesToMinusHalfToHalf() {
    byte[] p = {0, (byte) 255, 51, (byte) 128};
    Dataset d = Dataset.ofUint8("s", p, 4, 1, 1, 1, null, List.of()).scaled();
    assertEquals(Dataset.Storage.FLOAT32, d.storage());
    assertArrayEquals(new float[] {-0.5f, 0.5f, 51 / 255f - 0.5f, 128 / 255f - 0.5f}, d.toFloatArray());
    assertThrows(IllegalStateException.class, d::scaled);
  }

  @Test
  void subsetsAndSplitsKeepLabels() {
    Dataset d = small();
    Dataset mid = d.subset(1, 3);
    assertEquals(2, mid.size());
    assertArrayEquals(new int[] {0, 1}, mid.labels());
    assertEquals(d.value(1, 1, 2, 1), mid.value(0, 1, 2, 1));
    List<Dataset> parts = d.split(3);
    assertEquals(3, parts.get(0).size());
    assertEquals(1, parts.get(1).size());
    assertEquals(3, parts.get(1).label(0));
    assertEquals(d.value(3, 0, 0, 0), parts.get(1).value(0, 0, 0, 0));
    assertEquals(2, d.first(2).size());
    assertThrows(IllegalArgumentException.class, () -> d.split(4));
    assertThrows(IllegalArgumentException.class, () -> d.subset(2, 2));
    assertThrows(IllegalArgumentException.class, () -> d.subset(0, 5));
  }

  @Test
  void statisticsMatchADirectComputation() {
    Dataset d = small();
    float[] v = d.toFloatArray();
    double mean = 0;
    for (float x : v) {
      mean += x;
    }
    mean /= v.length;
    double var = 0;
    for (float x : v) {
      var += (x - mean) * (x - mean);
    }
    var /= v.length;
    assertEquals(mean, d.meanPixel(), 1e-9);
    assertEquals(var, d.pixelVariance(), 1e-9);
    assertEquals(mean / 255 - 0.5, d.scaled().meanPixel(), 1e-6);
    assertEquals(var / (255.0 * 255.0), d.scaled().pixelVariance(), 1e-7);
    assertArrayEquals(new int[] {1, 2, 0, 1}, d.classCounts());
  }

  @Test
  void refusesInconsistentData() {
    assertThrows(IllegalArgumentException.class,
        () -> Dataset.ofUint8("x", new byte[5], 2, 1, 1, 2, null, List.of()), "5 values for 2x1x1x2");
    assertThrows(IllegalArgumentException.class,
        () -> Dataset.ofUint8("x", new byte[4], 2, 1, 1, 2, new int[] {0}, List.of()), "one label for two images");
    assertThrows(IllegalArgumentException.class,
        () -> Dataset.ofUint8("x", new byte[4], 2, 1, 1, 2, new int[] {0, 2}, List.of("a", "b")), "label 2 of 2 classes");
    assertThrows(IllegalStateException.class,
        () -> Dataset.ofUint8("x", new byte[4], 2, 1, 1, 2, null, List.of()).classCounts());
  }
}
