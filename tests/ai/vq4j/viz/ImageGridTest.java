package ai.vq4j.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ImageGridTest {
  @TempDir Path dir;

  /** Grey level of image {@code i} in {@link #flatBatch}. */
  private static int level(int i) {
    return (10 + 20 * i) % 256;
  }

  /** A batch where image {@code i} is filled with the grey level {@code level(i)}. */
  private static float[] flatBatch(int n, int h, int w, int c) {
    float[] x = new float[n * h * w * c];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < h * w * c; k++) {
        x[i * h * w * c + k] = ImageGrid.fromPixel(level(i));
      }
    }
    return x;
  }

  private BufferedImage roundTrip(BufferedImage img) throws IOException {
    Path file = dir.resolve("grid.png");
    Png.write(img, file);
    return Png.read(file);
  }

  private static int rgb(BufferedImage img, int x, int y) {
    return img.getRGB(x, y) & 0xFFFFFF;
  }

  private static int grey(int v) {
    return v << 16 | v << 8 | v;
  }

  @ParameterizedTest(name = "N={0} H={1} W={2} columns={3} padding={4} scale={5}")
  @CsvSource({
    "1, 28, 28, 8, 2, 1, 32, 32",
    "8, 28, 28, 8, 2, 1, 242, 32",
    "9, 28, 28, 8, 2, 1, 242, 62",
    "16, 32, 32, 4, 0, 3, 384, 384",
    "5, 7, 3, 2, 1, 2, 15, 46",
    "3, 4, 5, 10, 4, 1, 31, 12",
  })
  void gridGeometry(int n, int h, int w, int columns, int padding, int scale, int width, int height) {
    BufferedImage img = ImageGrid.defaults().withColumns(columns).withPadding(padding).withScale(scale)
        .render(flatBatch(n, h, w, 1), n, h, w, 1);
    assertEquals(width, img.getWidth(), "width");
    assertEquals(height, img.getHeight(), "height");
  }

  @Test
  void pixelsLandWhereTheGeometrySaysAfterAPngRoundTrip() throws IOException {
    int n = 5;
    int h = 3;
    int w = 2;
    int pad = 1;
    int scale = 2;
    BufferedImage img = roundTrip(ImageGrid.defaults().withColumns(3).withPadding(pad).withScale(scale)
        .withBackground(new Color(0x123456)).render(flatBatch(n, h, w, 1), n, h, w, 1));
    assertEquals(3 * 4 + 4, img.getWidth());
    assertEquals(2 * 6 + 3, img.getHeight());
    for (int i = 0; i < n; i++) {
      int x0 = pad + (i % 3) * (w * scale + pad);
      int y0 = pad + (i / 3) * (h * scale + pad);
      assertEquals(grey(level(i)), rgb(img, x0, y0), "top-left pixel of image " + i);
      assertEquals(grey(level(i)), rgb(img, x0 + w * scale - 1, y0 + h * scale - 1), "bottom-right of " + i);
      assertEquals(0x123456, rgb(img, x0 + w * scale, y0), "padding right of image " + i);
    }
    assertEquals(0x123456, rgb(img, 0, 0), "border");
    assertEquals(0x123456, rgb(img, img.getWidth() - 2, img.getHeight() - 2), "empty cell after the last image");
  }

  @Test
  void upscalingIsNearestNeighbourAndChannelsKeepTheirOrder() throws IOException {
    // One 2x2 RGB image with four distinct colours, scaled 3x without padding.
    int[][] colours = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {17, 128, 240}};
    float[] x = new float[2 * 2 * 3];
    for (int p = 0; p < 4; p++) {
      for (int k = 0; k < 3; k++) {
        x[3 * p + k] = ImageGrid.fromPixel(colours[p][k]);
      }
    }
    BufferedImage img = roundTrip(ImageGrid.defaults().withPadding(0).withScale(3).render(x, 1, 2, 2, 3));
    assertEquals(6, img.getWidth());
    for (int y = 0; y < 6; y++) {
      for (int xx = 0; xx < 6; xx++) {
        int[] c = colours[(y / 3) * 2 + xx / 3];
        assertEquals(c[0] << 16 | c[1] << 8 | c[2], rgb(img, xx, y), "pixel (" + xx + ", " + y + ")");
      }
    }
  }

  @Test
  void valuesAreScaledFromMinusHalfToHalfAndClamped() {
    assertEquals(0, ImageGrid.toPixel(-0.5f));
    assertEquals(255, ImageGrid.toPixel(0.5f));
    assertEquals(128, ImageGrid.toPixel(0f), "round(127.5) is 128");
    assertEquals(0, ImageGrid.toPixel(-3f));
    assertEquals(255, ImageGrid.toPixel(7f));
    assertEquals(255, ImageGrid.toPixel(Float.POSITIVE_INFINITY));
    assertEquals(0, ImageGrid.toPixel(Float.NEGATIVE_INFINITY));
    assertEquals(0, ImageGrid.toPixel(Float.NaN));
    for (int v = 0; v < 256; v++) {
      assertEquals(v, ImageGrid.toPixel(ImageGrid.fromPixel(v)), "8-bit value " + v + " survives the round trip");
    }
  }

  @Test
  void pairsPutEachReconstructionDirectlyBelowItsOriginal() throws IOException {
    int n = 5;
    int h = 4;
    int w = 3;
    int pad = 2;
    int cols = 3;
    float[] orig = flatBatch(n, h, w, 1);
    float[] recon = new float[orig.length];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < h * w; k++) {
        recon[i * h * w + k] = ImageGrid.fromPixel(200 + i);
      }
    }
    BufferedImage img = roundTrip(ImageGrid.defaults().withColumns(cols).withPadding(pad)
        .withBackground(Color.BLACK).renderPairs(orig, recon, n, h, w, 1));
    // 2 groups of 2 rows: p + (2h + p) + 2p + (2h + p) + p.
    assertEquals(cols * w + (cols + 1) * pad, img.getWidth());
    assertEquals(pad + 2 * (2 * h + pad) + 2 * pad + pad, img.getHeight());
    for (int i = 0; i < n; i++) {
      int x0 = pad + (i % cols) * (w + pad);
      int y0 = pad + (i / cols) * (2 * h + 3 * pad);
      assertEquals(grey(level(i)), rgb(img, x0 + 1, y0 + 1), "original " + i);
      assertEquals(grey(200 + i), rgb(img, x0 + 1, y0 + h + pad + 1), "reconstruction " + i + " below its original");
      assertEquals(0, rgb(img, x0 + 1, y0 + h), "padding between original and reconstruction " + i);
    }
    assertEquals(0, rgb(img, pad, pad + 2 * h + pad), "gap between the two groups");
  }

  @Test
  void pairsRejectMismatchedReconstructions() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ImageGrid.defaults().renderPairs(new float[2 * 4 * 4], new float[2 * 4 * 4 - 1], 2, 4, 4, 1));
    assertTrue(e.getMessage().contains("reconstructions"), e.getMessage());
    assertTrue(e.getMessage().contains("[N=2, H=4, W=4, C=1]"), e.getMessage());
  }

  @Test
  void wrongArrayLengthNamesTheShape() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ImageGrid.defaults().render(new float[100], 2, 28, 28, 1));
    assertTrue(e.getMessage().contains("100"), e.getMessage());
    assertTrue(e.getMessage().contains("[N=2, H=28, W=28, C=1]"), e.getMessage());
    assertTrue(e.getMessage().contains("1568"), e.getMessage());
    IllegalArgumentException single = assertThrows(IllegalArgumentException.class,
        () -> ImageGrid.toImage(new float[32 * 32], 32, 32, 3));
    assertTrue(single.getMessage().contains("[H=32, W=32, C=3]"), single.getMessage());
    assertTrue(single.getMessage().contains("3072"), single.getMessage());
  }

  @Test
  void badShapesAndOptionsAreRejected() {
    ImageGrid g = ImageGrid.defaults();
    assertThrows(IllegalArgumentException.class, () -> g.render(new float[0], 0, 4, 4, 1), "N = 0");
    assertThrows(IllegalArgumentException.class, () -> g.render(new float[2 * 4 * 4 * 2], 2, 4, 4, 2), "C = 2");
    assertThrows(IllegalArgumentException.class, () -> g.render(new float[0], 1, 0, 4, 1), "H = 0");
    assertThrows(IllegalArgumentException.class, () -> g.withColumns(0));
    assertThrows(IllegalArgumentException.class, () -> g.withScale(0));
    assertThrows(IllegalArgumentException.class, () -> g.withPadding(-1));
    assertThrows(IllegalArgumentException.class, () -> ImageGrid.fromImage(new BufferedImage(2, 2, 1), 2));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> g.withColumnLabels(List.of("a", "b", "c")).render(new float[2 * 4 * 4], 2, 4, 4, 1));
    assertTrue(e.getMessage().contains("3 column labels"), e.getMessage());
  }

  @Test
  void columnLabelsAddAFixedStripAboveTheTiles() {
    int n = 4;
    BufferedImage plain = ImageGrid.defaults().withColumns(2).render(flatBatch(n, 8, 8, 1), n, 8, 8, 1);
    BufferedImage labelled = ImageGrid.defaults().withColumns(2).withColumnLabels(List.of("cat", "dog"))
        .render(flatBatch(n, 8, 8, 1), n, 8, 8, 1);
    assertEquals(plain.getWidth(), labelled.getWidth());
    assertEquals(plain.getHeight() + ImageGrid.LABEL_STRIP, labelled.getHeight());
    assertEquals(grey(10), rgb(labelled, 2, ImageGrid.LABEL_STRIP + 2), "first tile moved down by the strip");
    if (Awt.textAvailable()) {
      int dark = 0;
      for (int y = 0; y < ImageGrid.LABEL_STRIP; y++) {
        for (int x = 0; x < labelled.getWidth(); x++) {
          dark += (rgb(labelled, x, y) & 0xFF) < 128 ? 1 : 0;
        }
      }
      assertTrue(dark > 5, "label text drawn in the strip (" + dark + " dark pixels)");
    }
  }

  @Test
  void greyRoundTripIsExactForEvery8BitValue() throws IOException {
    int h = 16;
    int w = 16;
    float[] x = new float[h * w];
    for (int i = 0; i < x.length; i++) {
      x[i] = ImageGrid.fromPixel(i);
    }
    BufferedImage img = ImageGrid.toImage(x, h, w, 1);
    assertEquals(BufferedImage.TYPE_BYTE_GRAY, img.getType());
    assertArrayEquals(x, ImageGrid.fromImage(img, 1));
    BufferedImage back = roundTrip(img);
    assertArrayEquals(x, ImageGrid.fromImage(back, 1), "through a grey PNG file");
    assertEquals(255, back.getRaster().getSample(15, 15, 0), "raw grey sample in the file");
    float[] rgb = ImageGrid.fromImage(back, 3);
    assertEquals(3 * x.length, rgb.length);
    for (int i = 0; i < x.length; i++) {
      assertEquals(x[i], rgb[3 * i]);
      assertEquals(x[i], rgb[3 * i + 1]);
      assertEquals(x[i], rgb[3 * i + 2]);
    }
  }

  @Test
  void rgbRoundTripIsExact() throws IOException {
    int h = 7;
    int w = 9;
    Random r = new Random(42);
    float[] x = new float[h * w * 3];
    for (int i = 0; i < x.length; i++) {
      x[i] = ImageGrid.fromPixel(r.nextInt(256));
    }
    BufferedImage img = ImageGrid.toImage(x, h, w, 3);
    assertEquals(w, img.getWidth());
    assertEquals(h, img.getHeight());
    assertArrayEquals(x, ImageGrid.fromImage(img, 3));
    assertArrayEquals(x, ImageGrid.fromImage(roundTrip(img), 3), "through an RGB PNG file");
    int p = 4 * w + 5;
    int want = ImageGrid.toPixel(x[3 * p]) << 16 | ImageGrid.toPixel(x[3 * p + 1]) << 8 | ImageGrid.toPixel(x[3 * p + 2]);
    assertEquals(want, rgb(img, 5, 4), "HWC order: pixel (x=5, y=4)");
  }

  @Test
  void colourToGreyUsesBt601Luma() {
    BufferedImage img = new BufferedImage(4, 1, BufferedImage.TYPE_INT_RGB);
    img.setRGB(0, 0, 0xFF0000);
    img.setRGB(1, 0, 0x00FF00);
    img.setRGB(2, 0, 0x0000FF);
    img.setRGB(3, 0, 0x808080);
    float[] g = ImageGrid.fromImage(img, 1);
    assertEquals(ImageGrid.fromPixel(76), g[0], "0.299 * 255");
    assertEquals(ImageGrid.fromPixel(150), g[1], "0.587 * 255");
    assertEquals(ImageGrid.fromPixel(29), g[2], "0.114 * 255");
    assertEquals(ImageGrid.fromPixel(128), g[3], "grey stays grey");
  }

  @Test
  void sixteenBitGreyIsScaledTo8Bits() {
    BufferedImage img = new BufferedImage(3, 1, BufferedImage.TYPE_USHORT_GRAY);
    img.getRaster().setSample(0, 0, 0, 0);
    img.getRaster().setSample(1, 0, 0, 65535);
    img.getRaster().setSample(2, 0, 0, 257 * 100);
    assertArrayEquals(new float[] {ImageGrid.fromPixel(0), ImageGrid.fromPixel(255), ImageGrid.fromPixel(100)},
        ImageGrid.fromImage(img, 1));
  }
}
