package ai.vq4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
  @TempDir Path dir;

  static byte[] idx(int magic, int[] dims, byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length); // big-endian by default
    b.putInt(magic);
    for (int d : dims) {
      b.putInt(d);
    }
    return b.put(data).array();
  }

  static byte[] gzip(byte[] raw) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(raw);
    }
    return out.toByteArray();
  }

  /** Three 4x5 images whose pixel k of image i is 7 * (20 i + k) + 3 mod 256 (all values differ from neighbours). */
  static byte[] pixels() {
    byte[] p = new byte[3 * 4 * 5];
    for (int k = 0; k < p.length; k++) {
      p[k] = (byte) (7 * k + 3);
    }
    return p;
  }

  static byte[] imageFile() {
    return idx(IdxReader.IMAGES_MAGIC, new int[] {3, 4, 5}, pixels());
  }

  static byte[] labelFile() {
    return idx(IdxReader.LABELS_MAGIC, new int[] {3}, new byte[] {2, 0, (byte) 200});
  }

  private Path write(String name, byte[] bytes) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, bytes);
    return p;
  }

  @Test
  void rawAndGzipRoundTrip() throws IOException {
    for (boolean gz : new boolean[] {false, true}) {
      Path im = write("images" + gz, gz ? gzip(imageFile()) : imageFile());
      Path lb = write("labels" + gz, gz ? gzip(labelFile()) : labelFile());
      assertEquals(gz, IdxReader.isGzip(im));
      IdxReader.Images images = IdxReader.readImages(im);
      assertEquals(3, images.count());
      assertEquals(4, images.rows());
      assertEquals(5, images.cols());
      assertArrayEquals(pixels(), images.pixels());
      assertArrayEquals(new int[] {2, 0, 200}, IdxReader.readLabels(lb), "labels are unsigned bytes");

      Dataset d = IdxReader.read("synthetic", im, lb, List.of());
      assertEquals(3, d.size());
      assertEquals(1, d.channels());
      // image 1, row 2, column 3 is pixel 20 + 2*5 + 3 = 33 of the file
      assertEquals((7 * 33 + 3) & 0xff, d.value(1, 2, 3, 0));
      assertEquals(200, d.label(2));
    }
  }

  private DatasetException bad(String name, byte[] bytes, boolean images) throws IOException {
    Path p = write(name, bytes);
    DatasetException e = assertThrows(DatasetException.class,
        () -> {
          if (images) {
            IdxReader.readImages(p);
          } else {
            IdxReader.readLabels(p);
          }
        });
    assertTrue(e.getMessage().contains(name), "names the file: " + e.getMessage());
    assertEquals(p, e.file());
    return e;
  }

  private void badBoth(String name, byte[] bytes, boolean images, String... words) throws IOException {
    for (boolean gz : new boolean[] {false, true}) {
      String msg = bad(name + (gz ? ".gz" : ""), gz ? gzip(bytes) : bytes, images).getMessage();
      for (String w : words) {
        assertTrue(msg.contains(w), "'" + w + "' in: " + msg);
      }
    }
  }

  @Test
  void wrongMagicIsAnError() throws IOException {
    badBoth("labels-as-images", labelFile(), true, "bad magic 0x00000801", "label file");
    badBoth("images-as-labels", imageFile(), false, "bad magic 0x00000803", "image file");
    badBoth("png", new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, true,
        "not an IDX file");
    byte[] floats = imageFile();
    floats[2] = 0x0d;
    badBoth("floats", floats, true, "element type 0x0d");
  }

  @Test
  void truncatedOrEmptyHeaderIsAnError() throws IOException {
    badBoth("empty", new byte[0], true, "empty");
    badBoth("short-header", Arrays.copyOf(imageFile(), 10), true, "truncated header", "only 10");
    badBoth("short-label-header", Arrays.copyOf(labelFile(), 6), false, "truncated header");
    badBoth("two-bytes", new byte[] {0, 0}, true, "truncated header");
  }

  @Test
  void truncatedDataIsAnError() throws IOException {
    byte[] file = imageFile();
    badBoth("train-images-idx3-ubyte", Arrays.copyOf(file, file.length - 7), true,
        "truncated: header says 3 images of 4x5 (60 bytes) but only 53 bytes follow");
    badBoth("labels-short", Arrays.copyOf(labelFile(), labelFile().length - 1), false,
        "header says 3 labels", "only 2 bytes follow");
  }

  @Test
  void trailingBytesAreAnError() throws IOException {
    byte[] file = Arrays.copyOf(imageFile(), imageFile().length + 5);
    badBoth("trailing", file, true, "trailing", "5 more bytes");
    badBoth("trailing-labels", Arrays.copyOf(labelFile(), labelFile().length + 1), false, "1 more bytes");
  }

  @Test
  void absurdSizesAreErrorsAndAllocateNothingLarge() throws IOException {
    badBoth("negative", idx(IdxReader.IMAGES_MAGIC, new int[] {-5, 28, 28}, new byte[0]), true, "-5 images");
    badBoth("zero", idx(IdxReader.IMAGES_MAGIC, new int[] {0, 28, 28}, new byte[0]), true, "0 images");
    badBoth("zero-rows", idx(IdxReader.IMAGES_MAGIC, new int[] {5, 0, 28}, new byte[0]), true, "0x28");
    badBoth("huge-side", idx(IdxReader.IMAGES_MAGIC, new int[] {1, 1 << 20, 1}, new byte[0]), true,
        "between 1 and");
    badBoth("huge-total", idx(IdxReader.IMAGES_MAGIC, new int[] {1 << 20, 1 << 12, 1 << 12}, new byte[0]), true,
        "more than one Java array");
    badBoth("negative-labels", idx(IdxReader.LABELS_MAGIC, new int[] {-1}, new byte[0]), false, "-1 labels");
    // A header that claims 2 GB but holds 10 bytes: an error about truncation, not an OutOfMemoryError.
    badBoth("lying", idx(IdxReader.IMAGES_MAGIC, new int[] {40000, 200, 200}, new byte[10]), true,
        "1600000000 bytes", "only 10 bytes follow");
  }

  @Test
  void brokenGzipStreamsAreErrors() throws IOException {
    byte[] gz = gzip(imageFile());
    String cut = bad("cut.gz", Arrays.copyOf(gz, gz.length - 12), true).getMessage();
    assertTrue(cut.contains("gzip"), cut);

    byte[] crc = gz.clone();
    crc[crc.length - 6] ^= 0x55; // inside the CRC32 of the trailer
    String badCrc = bad("crc.gz", crc, true).getMessage();
    assertTrue(badCrc.contains("corrupt") && badCrc.contains("gzip"), badCrc);

    byte[] method = gz.clone();
    method[2] = 9; // compression method other than deflate (8)
    String badHeader = bad("method.gz", method, true).getMessage();
    assertTrue(badHeader.contains("gzip header"), badHeader);

    byte[] body = gz.clone();
    for (int i = 10; i < body.length - 8; i++) {
      body[i] = (byte) 0xff; // the deflate stream is garbage
    }
    bad("body.gz", body, true);

    assertTrue(bad("only-magic.gz", new byte[] {0x1f, (byte) 0x8b}, true).getMessage().contains("gzip"));
  }

  @Test
  void labelCountMustMatchImageCount() throws IOException {
    Path im = write("im", imageFile());
    Path lb = write("train-labels-idx1-ubyte", idx(IdxReader.LABELS_MAGIC, new int[] {2}, new byte[] {1, 2}));
    DatasetException e = assertThrows(DatasetException.class, () -> IdxReader.read("x", im, lb, List.of()));
    assertTrue(e.getMessage().contains("train-labels-idx1-ubyte") && e.getMessage().contains("2 labels")
        && e.getMessage().contains("3 images"), e.getMessage());
  }

  @Test
  void labelsOutsideTheClassesAreAnError() throws IOException {
    Path im = write("im", imageFile());
    Path lb = write("lb", labelFile());
    DatasetException e = assertThrows(DatasetException.class,
        () -> IdxReader.read("x", im, lb, Datasets.MNIST_CLASSES));
    assertTrue(e.getMessage().contains("label 2 is 200"), e.getMessage());
    assertFalse(IdxReader.read("x", im, null, Datasets.MNIST_CLASSES).hasLabels());
  }

  @Test
  void missingFileNamesIt() {
    Path p = dir.resolve("nothing-here-idx3-ubyte");
    DatasetException e = assertThrows(DatasetException.class, () -> IdxReader.readImages(p));
    assertTrue(e.getMessage().contains("nothing-here-idx3-ubyte") && e.getMessage().contains("no such file"));
  }
}
