package ai.vq4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real Fashion-MNIST from the Debian package; skipped (visibly) where it is not installed. */
class FashionMnistTest {
  static Dataset train;

  @BeforeAll
  static void load() throws IOException {
    assumeTrue(Files.exists(Datasets.FASHION_MNIST_DIR.resolve("train-images-idx3-ubyte.gz")),
        "Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist");
    train = Datasets.fashionMnist(true);
  }

  @Test
  void trainingSetHasTheKnownFacts() {
    assertEquals("fashion-mnist-train", train.name());
    assertEquals(60000, train.size());
    assertEquals(28, train.height());
    assertEquals(28, train.width());
    assertEquals(1, train.channels());
    assertArrayEquals(new int[] {9, 0, 0, 3, 0, 2, 7, 2}, Arrays.copyOf(train.labels(), 8));
    int[] sixThousand = new int[10];
    Arrays.fill(sixThousand, 6000);
    assertArrayEquals(sixThousand, train.classCounts());
    assertEquals(72.94, train.meanPixel(), 0.01);
    assertEquals("Ankle boot", train.classNames().get(train.label(0)));
  }

  @Test
  void testSetHasTheKnownSizes() throws IOException {
    Dataset test = Datasets.fashionMnist(false);
    assertEquals("fashion-mnist-test", test.name());
    assertEquals(10000, test.size());
    int[] thousand = new int[10];
    Arrays.fill(thousand, 1000);
    assertArrayEquals(thousand, test.classCounts());
  }

  @Test
  void paddedTo32TheBorderIsBackgroundAndScaledValuesAreInRange() {
    Dataset padded = train.padTo(32, 32);
    byte[] p = padded.toByteArray();
    byte[] o = train.toByteArray();
    for (int i = 0; i < train.size(); i++) {
      for (int y = 0; y < 32; y++) {
        for (int x = 0; x < 32; x++) {
          int v = p[(i * 32 + y) * 32 + x];
          if (y < 2 || y >= 30 || x < 2 || x >= 30) {
            if (v != 0) {
              throw new AssertionError("border pixel (" + y + ", " + x + ") of image " + i + " is " + (v & 0xff));
            }
          } else if (v != o[(i * 28 + y - 2) * 28 + x - 2]) {
            throw new AssertionError("pixel (" + y + ", " + x + ") of image " + i + " moved");
          }
        }
      }
    }
    Dataset scaled = padded.scaled();
    float[] v = scaled.toFloatArray();
    float min = Float.MAX_VALUE;
    float max = -Float.MAX_VALUE;
    for (float f : v) {
      min = Math.min(min, f);
      max = Math.max(max, f);
    }
    assertEquals(-0.5f, min);
    assertTrue(max <= 0.5f && max > 0.49f, "max " + max);
    assertEquals(72.94 / 255 * 28 * 28 / (32 * 32) - 0.5, scaled.meanPixel(), 1e-4);
    // the variance the trainer divides the MSE by: of the scaled, unpadded training set (the scaled
    // values are float32, so it agrees with the exact uint8 figure to float precision)
    assertEquals(train.pixelVariance() / (255.0 * 255.0), train.scaled().pixelVariance(), 1e-6);
    assertEquals(0.1246, train.scaled().pixelVariance(), 5e-4);
  }
}
