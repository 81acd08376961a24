package ai.vq4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A folder streamed from disk gives the batches of the same folder loaded in memory, for a seed, across epochs,
 * after a restore and on a shard; a corrupt file is an error naming it; "auto" picks by size.
 */
class StreamedImagesTest {
  @TempDir
  Path dir;

  /** Labelled folder: classes a/ and b/ of random RGB images, some 20x14 (scaled and cropped to 12x12). */
  private Path folder(int perClass) throws IOException {
    Random random = new Random(5);
    for (String c : new String[] {"a", "b"}) {
      Path sub = Files.createDirectories(dir.resolve("f").resolve(c));
      for (int i = 0; i < perClass; i++) {
        BufferedImage img = new BufferedImage(i % 3 == 0 ? 20 : 12, i % 3 == 0 ? 14 : 12, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < img.getHeight(); y++) {
          for (int x = 0; x < img.getWidth(); x++) {
            img.setRGB(x, y, random.nextInt(0x1000000));
          }
        }
        ImageIO.write(img, "png", sub.resolve(String.format("%02d.png", i)).toFile());
      }
    }
    return dir.resolve("f");
  }

  private static void assertSameBatches(Batcher memory, Batcher streamed, int batches, int per) {
    float[] xm = new float[memory.batchSize() * per];
    float[] xs = new float[streamed.batchSize() * per];
    int[] ym = new int[memory.batchSize()];
    int[] ys = new int[streamed.batchSize()];
    for (int k = 0; k < batches; k++) {
      assertEquals(memory.next(xm, ym), streamed.next(xs, ys), "batch " + k);
      assertArrayEquals(xm, xs, "images of batch " + k);
      assertArrayEquals(ym, ys, "labels of batch " + k);
    }
  }

  @Test
  void streamedBatchesEqualTheLoadedOnesAcrossEpochsRestoresAndShards() throws IOException {
    ImageFiles files = new ImageFolderReader(12, 12, 3).list(folder(11), true);
    Dataset memory = files.load().scaled();
    StreamedImages streamed = files.stream(3);
    assertEquals(memory.size(), streamed.size());
    assertEquals(memory.pixelVariance(), streamed.pixelVariance(), 1e-6, "every image is in the variance sample");
    int per = memory.imageSize();
    // 22 images in batches of 4: 5 batches an epoch, so 13 batches cross two epoch boundaries.
    try (Batcher m = Batcher.builder(memory, 4).seed(9).build();
         Batcher s = Batcher.builder(streamed, 4).seed(9).build()) {
      assertSameBatches(m, s, 13, per);
      Batcher.State at = m.state();
      try (Batcher m2 = Batcher.builder(memory, 4).seed(9).build();
           Batcher s2 = Batcher.builder(streamed, 4).seed(9).build()) {
        m2.restore(at);
        s2.restore(at);
        assertSameBatches(m2, s2, 7, per);
      }
    }
    try (Batcher m = Batcher.builder(memory, 3).seed(2).shard(1, 2).build();
         Batcher s = Batcher.builder(streamed, 3).seed(2).shard(1, 2).build()) {
      assertSameBatches(m, s, 8, per);
    }
    try (Batcher m = Batcher.builder(memory, 5).shuffle(false).dropLast(false).build();
         Batcher s = Batcher.builder(streamed, 5).shuffle(false).dropLast(false).build()) {
      assertSameBatches(m, s, 6, per);  // partial last batches too
    }
  }

  @Test
  void aCorruptFileIsAnErrorNamingIt() throws IOException {
    Path root = folder(6);
    Path bad = root.resolve("b").resolve("03.png");
    byte[] png = Files.readAllBytes(bad);
    Files.write(bad, java.util.Arrays.copyOf(png, png.length / 2));
    StreamedImages streamed = new ImageFolderReader(12, 12, 3).list(root, true).stream(2);
    try (Batcher b = Batcher.builder(streamed, 4).seed(1).build()) {
      float[] x = new float[4 * streamed.imageSize()];
      UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> {
        for (int k = 0; k < 3; k++) {
          b.next(x, null);  // 12 images in 3 batches: every image once
        }
      });
      assertInstanceOf(DatasetException.class, e.getCause());
      assertTrue(e.getMessage().startsWith(bad.toString()), e.getMessage());
    }
  }

  @Test
  void autoStreamsOnlyASetLargerThanHalfTheHeap() throws IOException {
    ImageFiles files = new ImageFolderReader(12, 12, 3).list(folder(2), true);
    assertInstanceOf(Dataset.class, files.open("auto"));
    assertInstanceOf(Dataset.class, files.open("memory"));
    assertInstanceOf(StreamedImages.class, files.open("stream"));
    assertEquals(5L * 12 * 12 * 3 * 4, files.memoryBytes());
    // A set listing as many files as would take the whole heap streams (only file names are held).
    int n = (int) Math.min(Integer.MAX_VALUE - 8, Runtime.getRuntime().maxMemory() / (5L * 12 * 12 * 3) + 1);
    ImageFiles huge = new ImageFiles("huge", dir, java.util.Collections.nCopies(n, files.files().get(0)), null,
        java.util.List.of(), files.reader());
    assertInstanceOf(StreamedImages.class, huge.open("auto"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> files.open("disk"));
    assertTrue(e.getMessage().contains("[auto, memory, stream]"), e.getMessage());
  }
}
