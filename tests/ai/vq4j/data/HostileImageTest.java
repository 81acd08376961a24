package ai.vq4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Image files and folders as a careless or hostile user leaves them. */
class HostileImageTest {
  @TempDir Path dir;

  static byte[] encode(BufferedImage image, String format) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertTrue(ImageIO.write(image, format, out), format);
    return out.toByteArray();
  }

  static BufferedImage noise(int w, int h, long seed) {
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Random rng = new Random(seed);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        image.setRGB(x, y, rng.nextInt(1 << 24));
      }
    }
    return image;
  }

  /** A PNG whose header claims w x h pixels (CRC fixed up), followed by the original small image's data. */
  static byte[] pngClaiming(int w, int h) throws IOException {
    byte[] png = encode(noise(4, 4, 1), "png");
    ByteBuffer b = ByteBuffer.wrap(png);
    b.putInt(16, w).putInt(20, h);
    CRC32 crc = new CRC32();
    crc.update(png, 12, 17);
    b.putInt(29, (int) crc.getValue());
    return png;
  }

  private DatasetException refused(String name, byte[] bytes) throws IOException {
    Path file = dir.resolve(name);
    Files.write(file, bytes);
    DatasetException e = assertThrows(DatasetException.class, () -> new ImageFolderReader(8, 8, 3).readInto(file, new byte[192], 0));
    assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    return e;
  }

  @Test
  void truncatedJpegsAndPngsAreErrorsNotGrey() throws IOException {
    byte[] jpeg = encode(noise(64, 64, 2), "jpeg");
    for (double keep : new double[] {0.9, 0.6, 0.3}) {
      DatasetException e = refused("cut" + keep + ".jpg", Arrays.copyOf(jpeg, (int) (jpeg.length * keep)));
      assertTrue(e.getMessage().contains("corrupt or truncated") || e.getMessage().contains("unreadable"), e.getMessage());
    }
    byte[] png = encode(noise(64, 64, 3), "png");
    for (double keep : new double[] {0.9, 0.6, 0.3}) {
      refused("cut" + keep + ".png", Arrays.copyOf(png, (int) (png.length * keep)));
    }
    // The undamaged files still read, and match ImageIO's own decoding.
    Path whole = dir.resolve("whole.png");
    Files.write(whole, png);
    assertEquals(64, ImageFolderReader.decode(whole).getWidth());
  }

  @Test
  void hugeClaimedSizesAreRefusedFromTheHeader() throws IOException {
    DatasetException e = refused("huge.png", pngClaiming(20000, 20000));
    assertTrue(e.getMessage().contains("image is 20000x20000 pixels"), e.getMessage());
    refused("strip.png", pngClaiming(1 << 20, 1));
    refused("negative.png", pngClaiming(-5, 4));
  }

  @Test
  void hiddenSubfoldersAreNotClassesAndAFolderCanBeReadUnlabelled() throws IOException {
    Files.write(dir.resolve("a.png"), encode(noise(8, 8, 4), "png"));
    Files.write(dir.resolve("b.png"), encode(noise(8, 8, 5), "png"));
    Path litter = Files.createDirectories(dir.resolve(".ipynb_checkpoints"));
    Files.write(litter.resolve("a-checkpoint.png"), encode(noise(8, 8, 6), "png"));
    Dataset flat = Datasets.forModel("folder", dir, true, 8, 3);
    assertEquals(2, flat.size());
    assertNull(flat.labels(), "a flat folder is unlabelled");

    Path classes = Files.createDirectories(dir.resolve("cats"));
    Files.write(classes.resolve("c.png"), encode(noise(8, 8, 7), "png"));
    Dataset unlabelled = Datasets.forModel("folder-unlabelled", dir, true, 8, 3);
    assertEquals(2, unlabelled.size(), "folder-unlabelled reads the images beside the subfolders");
    assertNull(unlabelled.labels());
  }

  @Test
  void aFolderWhereADataFileShouldBeSaysSo() throws IOException {
    Files.createDirectories(dir.resolve("train-images-idx3-ubyte.gz"));
    DatasetException e = assertThrows(DatasetException.class, () -> Datasets.mnist(dir, true));
    assertTrue(e.getMessage().contains("train-images-idx3-ubyte.gz: is a folder, where the IDX file"), e.getMessage());
    assertTrue(!e.getMessage().contains("npm"), e.getMessage());
    DatasetException idx = assertThrows(DatasetException.class, () -> IdxReader.readImages(dir));
    assertTrue(idx.getMessage().contains(dir + ": is a folder"), idx.getMessage());
    Files.createDirectories(dir.resolve("test_batch.bin"));
    DatasetException cifar = assertThrows(DatasetException.class, () -> Datasets.cifar10(dir, false));
    assertTrue(cifar.getMessage().contains("test_batch.bin: is a folder"), cifar.getMessage());
    DatasetException dev = assertThrows(DatasetException.class, () -> Cifar10Reader.read(Path.of("/dev/zero")));
    assertTrue(dev.getMessage().contains("/dev/zero: not a regular file"), dev.getMessage());
  }

  @Test
  void undamagedImagesMatchTheReferenceDecoder() throws IOException {
    BufferedImage image = noise(8, 8, 9);
    Path file = dir.resolve("ref.png");
    Files.write(file, encode(image, "png"));
    byte[] ours = new byte[8 * 8 * 3];
    new ImageFolderReader(8, 8, 3).readInto(file, ours, 0);
    int[] rgb = ImageIO.read(file.toFile()).getRGB(0, 0, 8, 8, null, 0, 8);
    byte[] ref = new byte[ours.length];
    for (int i = 0; i < rgb.length; i++) {
      ref[3 * i] = (byte) (rgb[i] >> 16);
      ref[3 * i + 1] = (byte) (rgb[i] >> 8);
      ref[3 * i + 2] = (byte) rgb[i];
    }
    assertArrayEquals(ref, ours);
  }
}
