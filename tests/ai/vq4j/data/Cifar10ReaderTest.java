package ai.vq4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Cifar10ReaderTest {
  @TempDir Path dir;

  /** Planar value of record r, channel c, position p: distinct across channels and positions. */
  static int planar(int r, int c, int p) {
    return (p * 3 + c * 101 + r * 37) & 0xff;
  }

  static byte[] batch(int firstRecord, int... labels) {
    byte[] b = new byte[labels.length * Cifar10Reader.RECORD_BYTES];
    for (int i = 0; i < labels.length; i++) {
      int base = i * Cifar10Reader.RECORD_BYTES;
      b[base] = (byte) labels[i];
      for (int c = 0; c < 3; c++) {
        for (int p = 0; p < 1024; p++) {
          b[base + 1 + c * 1024 + p] = (byte) planar(firstRecord + i, c, p);
        }
      }
    }
    return b;
  }

  @Test
  void decodesPlanesIntoNhwcInFileOrder() throws IOException {
    Path a = dir.resolve("data_batch_1.bin");
    Path b = dir.resolve("data_batch_2.bin");
    Files.write(a, batch(0, 3, 9));
    Files.write(b, batch(2, 0));
    Dataset d = Cifar10Reader.read("c", List.of(a, b));
    assertEquals(3, d.size());
    assertEquals(32, d.height());
    assertEquals(32, d.width());
    assertEquals(3, d.channels());
    assertArrayEquals(new int[] {3, 9, 0}, d.labels());
    assertEquals("cat", d.classNames().get(d.label(0)));
    for (int r = 0; r < 3; r++) {
      for (int y = 0; y < 32; y++) {
        for (int x = 0; x < 32; x++) {
          for (int c = 0; c < 3; c++) {
            assertEquals(planar(r, c, y * 32 + x), (int) d.value(r, y, x, c), "record " + r + " (" + y + ", " + x
                + ") channel " + c);
          }
        }
      }
    }
    // the raw bytes are NHWC: the red, green and blue of pixel (0, 1) of record 0 are adjacent
    byte[] raw = d.toByteArray();
    assertEquals((byte) planar(0, 0, 1), raw[3]);
    assertEquals((byte) planar(0, 1, 1), raw[4]);
    assertEquals((byte) planar(0, 2, 1), raw[5]);
  }

  @Test
  void sizeNotAMultipleOfTheRecordIsAnError() throws IOException {
    Path f = dir.resolve("data_batch_3.bin");
    byte[] full = batch(0, 1, 2);
    Files.write(f, java.util.Arrays.copyOf(full, full.length - 100));
    DatasetException e = assertThrows(DatasetException.class, () -> Cifar10Reader.read(f));
    assertTrue(e.getMessage().contains("data_batch_3.bin") && e.getMessage().contains("not a multiple of the 3073"),
        e.getMessage());

    Files.write(f, new byte[3074 * 2]);
    e = assertThrows(DatasetException.class, () -> Cifar10Reader.read(f));
    assertTrue(e.getMessage().contains("CIFAR-100"), e.getMessage());

    Files.write(f, new byte[0]);
    e = assertThrows(DatasetException.class, () -> Cifar10Reader.read(f));
    assertTrue(e.getMessage().contains("empty"), e.getMessage());
  }

  @Test
  void labelAboveNineNamesFileAndRecord() throws IOException {
    Path f = dir.resolve("test_batch.bin");
    Files.write(f, batch(0, 4, 10, 2));
    DatasetException e = assertThrows(DatasetException.class, () -> Cifar10Reader.read(f));
    assertTrue(e.getMessage().contains("test_batch.bin") && e.getMessage().contains("record 1")
        && e.getMessage().contains("label 10"), e.getMessage());
  }

  @Test
  void datasetsFindsTheBatchesAndNamesAMissingOne() throws IOException {
    Path sub = Files.createDirectory(dir.resolve("cifar-10-batches-bin"));
    Files.write(sub.resolve("test_batch.bin"), batch(0, 5, 6));
    Dataset test = Datasets.cifar10(dir, false);
    assertEquals("cifar10-test", test.name());
    assertArrayEquals(new int[] {5, 6}, test.labels());

    DatasetException e = assertThrows(DatasetException.class, () -> Datasets.cifar10(sub, true));
    assertTrue(e.getMessage().contains("data_batch_1.bin"), e.getMessage());
  }
}
