package ai.vq4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderReaderTest {
  @TempDir Path dir;

  private static BufferedImage rgb(int w, int h, int rgb) {
    BufferedImage im = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        im.setRGB(x, y, rgb);
      }
    }
    return im;
  }

  private static Path write(BufferedImage im, String format, Path file) throws IOException {
    Files.createDirectories(file.getParent());
    assertTrue(ImageIO.write(im, format, file.toFile()), "ImageIO wrote " + file);
    return file;
  }

  @Test
  void readsClassSubfoldersInSortedOrderWithExactPngPixels() throws IOException {
    BufferedImage pattern = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 4; x++) {
        pattern.setRGB(x, y, (10 * x) << 16 | (20 * y) << 8 | (x + y));
      }
    }
    write(pattern, "png", dir.resolve("dog/b.png"));
    write(rgb(4, 4, 0x102030), "png", dir.resolve("dog/a.png"));
    write(rgb(4, 4, 0xc86432), "jpg", dir.resolve("cat/photo.jpg"));
    Files.writeString(dir.resolve("dog/README.txt"), "not an image, skipped");

    Dataset d = new ImageFolderReader(4, 4, 3).read(dir, true);
    assertEquals(List.of("cat", "dog"), d.classNames());
    assertEquals(3, d.size());
    assertArrayEquals(new int[] {0, 1, 1}, d.labels());
    assertArrayEquals(new int[] {1, 2}, d.classCounts());
    // the JPEG is lossy: a flat colour comes back within a few levels
    assertEquals(0xc8, d.value(0, 1, 1, 0), 4);
    assertEquals(0x64, d.value(0, 1, 1, 1), 4);
    assertEquals(0x32, d.value(0, 1, 1, 2), 4);
    // a.png before b.png; PNG is lossless and an image of the target size is copied unchanged
    assertEquals(0x10, d.value(1, 3, 2, 0));
    assertEquals(0x30, d.value(1, 3, 2, 2));
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 4; x++) {
        assertEquals(10 * x, d.value(2, y, x, 0));
        assertEquals(20 * y, d.value(2, y, x, 1));
        assertEquals(x + y, d.value(2, y, x, 2));
      }
    }
  }

  @Test
  void greyFromGreyIsExactAndFromRgbIsLuma() throws IOException {
    BufferedImage grey = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
    int[] values = {0, 17, 128, 200, 254, 255};
    grey.getRaster().setPixels(0, 0, 3, 2, values);
    write(grey, "png", dir.resolve("g.png"));
    write(rgb(3, 2, 0xff8000), "png", dir.resolve("h.png"));

    Dataset d = Datasets.imageFolder(dir, 2, 3, 1, false);
    assertFalse(d.hasLabels());
    for (int k = 0; k < 6; k++) {
      assertEquals(values[k], d.value(0, k / 3, k % 3, 0), "grey sample " + k + " unchanged (no gamma conversion)");
    }
    assertEquals(Math.round(0.299 * 255 + 0.587 * 128), d.value(1, 0, 0, 0));

    Dataset asRgb = Datasets.imageFolder(dir, 2, 3, 3, false);
    assertEquals(128, asRgb.value(0, 0, 2, 0));
    assertEquals(128, asRgb.value(0, 0, 2, 2), "grey replicated into RGB");
  }

  @Test
  void scalesToCoverThenCropsTheCentre() throws IOException {
    // 6 wide, 4 high: red edge columns, green middle; cropping to 4x4 keeps only the green middle
    BufferedImage wide = rgb(6, 4, 0x00ff00);
    for (int y = 0; y < 4; y++) {
      wide.setRGB(0, y, 0xff0000);
      wide.setRGB(5, y, 0xff0000);
    }
    write(wide, "png", dir.resolve("a-wide.png"));
    // 8x8 checkerboard: downscaled 2x with antialiasing it is flat grey; point sampling would keep 0 or 255
    BufferedImage checker = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 8; y++) {
      for (int x = 0; x < 8; x++) {
        checker.setRGB(x, y, (x + y) % 2 == 0 ? 0xffffff : 0);
      }
    }
    write(checker, "png", dir.resolve("b-checker.png"));
    // 2x2 flat colour upscaled stays flat
    write(rgb(2, 2, 0x336699), "png", dir.resolve("c-small.png"));

    Dataset d = new ImageFolderReader(4, 4, 3).read(dir, false);
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 4; x++) {
        assertEquals(0, d.value(0, y, x, 0), "no red left after the centre crop at " + y + "," + x);
        assertEquals(255, d.value(0, y, x, 1));
        for (int c = 0; c < 3; c++) {
          // the corners come out at 130: at an edge the filter loses its outer taps and renormalises
          assertEquals(127.5, d.value(1, y, x, c), 3.0, "antialiased checkerboard at " + y + "," + x);
        }
        assertEquals(0x33, d.value(2, y, x, 0));
        assertEquals(0x99, d.value(2, y, x, 2));
      }
    }
  }

  @Test
  void transparentPixelsAreBlack() throws IOException {
    BufferedImage im = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
    im.setRGB(0, 0, 0x00ffffff);
    im.setRGB(1, 0, 0xffffffff);
    write(im, "png", dir.resolve("alpha.png"));
    Dataset d = new ImageFolderReader(1, 2, 1).read(dir, false);
    assertEquals(0, d.value(0, 0, 0, 0));
    assertEquals(255, d.value(0, 0, 1, 0));
  }

  @Test
  void unreadableImageNamesTheFile() throws IOException {
    write(rgb(4, 4, 0), "png", dir.resolve("cls/good.png"));
    Files.write(dir.resolve("cls/broken.png"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
    DatasetException e = assertThrows(DatasetException.class, () -> new ImageFolderReader(4, 4, 3).read(dir, true));
    assertTrue(e.getMessage().contains("broken.png") && e.getMessage().contains("unreadable"), e.getMessage());

    // a PNG whose data is cut in half
    byte[] png = Files.readAllBytes(dir.resolve("cls/good.png"));
    Files.write(dir.resolve("cls/broken.png"), java.util.Arrays.copyOf(png, png.length / 2));
    e = assertThrows(DatasetException.class, () -> new ImageFolderReader(4, 4, 3).read(dir, true));
    assertTrue(e.getMessage().contains("broken.png"), e.getMessage());
  }

  @Test
  void layoutMistakesAreErrors() throws IOException {
    assertThrows(DatasetException.class, () -> new ImageFolderReader(4, 4, 3).read(dir.resolve("absent"), false));
    DatasetException empty = assertThrows(DatasetException.class, () -> new ImageFolderReader(4, 4, 3).read(dir, false));
    assertTrue(empty.getMessage().contains("no .png"), empty.getMessage());

    Files.createDirectories(dir.resolve("empty-class"));
    write(rgb(4, 4, 0), "png", dir.resolve("full-class/x.png"));
    DatasetException e = assertThrows(DatasetException.class, () -> new ImageFolderReader(4, 4, 3).read(dir, true));
    assertTrue(e.getMessage().contains("empty-class"), e.getMessage());

    Files.delete(dir.resolve("empty-class"));
    write(rgb(4, 4, 0), "png", dir.resolve("loose.png"));
    e = assertThrows(DatasetException.class, () -> new ImageFolderReader(4, 4, 3).read(dir, true));
    assertTrue(e.getMessage().contains("loose.png"), e.getMessage());

    assertThrows(IllegalArgumentException.class, () -> new ImageFolderReader(4, 4, 2));
  }
}
