package ai.vq4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads CIFAR-10 binary batches ({@code data_batch_1.bin} … {@code data_batch_5.bin},
 * {@code test_batch.bin}): records of 3073 bytes, one label byte 0..9 then the 32×32 image as three
 * planes (1024 red, 1024 green, 1024 blue, each row-major). The planes are interleaved into NHWC here,
 * once, so that every later step sees the layout the rest of vq4j uses.
 *
 * <p>The file size is checked before anything is read (a size that is not a whole number of records
 * means a truncated download or another format, e.g. CIFAR-100's 3074-byte records), and every label is
 * checked: either fault is a {@link DatasetException} naming the file and, for a label, the record.
 */
public final class Cifar10Reader {
  /** Bytes per record: one label, then 3 × 32 × 32 pixels. */
  public static final int RECORD_BYTES = 3073;
  /** Image side. */
  public static final int SIDE = 32;
  /** Class names, indexed by label. */
  public static final List<String> CLASS_NAMES = List.of(
      "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

  private static final int PLANE = SIDE * SIDE;

  private Cifar10Reader() {}

  /** Reads one or more batch files, in the order given, into one labelled 32×32×3 uint8 set. */
  public static Dataset read(String name, List<Path> files) throws IOException {
    if (files.isEmpty()) {
      throw new IllegalArgumentException("no CIFAR-10 batch files given");
    }
    long records = 0;
    int[] counts = new int[files.size()];
    for (int f = 0; f < files.size(); f++) {
      counts[f] = recordCount(files.get(f));
      records += counts[f];
    }
    if (records * (RECORD_BYTES - 1) > IdxReader.MAX_BYTES) {
      throw new DatasetException(files.get(files.size() - 1), "with the files before it makes " + records
          + " CIFAR-10 records, more than one Java array holds");
    }
    int n = (int) records;
    byte[] pixels = new byte[n * (RECORD_BYTES - 1)];
    int[] labels = new int[n];
    byte[] record = new byte[RECORD_BYTES];
    int image = 0;
    for (int f = 0; f < files.size(); f++) {
      Path file = files.get(f);
      try (InputStream in = Files.newInputStream(file)) {
        for (int r = 0; r < counts[f]; r++, image++) {
          int got = in.readNBytes(record, 0, RECORD_BYTES);
          if (got < RECORD_BYTES) {
            throw new DatasetException(file, "truncated while reading: record " + r + " has only " + got
                + " of " + RECORD_BYTES + " bytes (did the file change?)");
          }
          int label = record[0] & 0xff;
          if (label > 9) {
            throw new DatasetException(file, "record " + r + " (byte offset " + (long) r * RECORD_BYTES
                + ") has label " + label + "; CIFAR-10 labels are 0..9");
          }
          labels[image] = label;
          int base = image * (RECORD_BYTES - 1);
          for (int p = 0; p < PLANE; p++) {
            pixels[base + 3 * p] = record[1 + p];
            pixels[base + 3 * p + 1] = record[1 + PLANE + p];
            pixels[base + 3 * p + 2] = record[1 + 2 * PLANE + p];
          }
        }
      }
    }
    return new Dataset(name, n, SIDE, SIDE, 3, pixels, null, labels, CLASS_NAMES);
  }

  /** Reads batch files under the name "cifar10". */
  public static Dataset read(Path... files) throws IOException {
    return read("cifar10", List.of(files));
  }

  private static int recordCount(Path file) throws IOException {
    if (Files.exists(file) && !Files.isRegularFile(file)) {
      throw new DatasetException(file, Files.isDirectory(file) ? "is a folder, not a CIFAR-10 batch file"
          : "not a regular file (a device or pipe cannot be a CIFAR-10 batch)");
    }
    long bytes;
    try {
      bytes = Files.size(file);
    } catch (NoSuchFileException e) {
      throw new DatasetException(file, "no such file", e);
    }
    if (bytes == 0) {
      throw new DatasetException(file, "empty; a CIFAR-10 batch holds records of " + RECORD_BYTES + " bytes");
    }
    if (bytes % RECORD_BYTES != 0) {
      String hint = bytes % (RECORD_BYTES + 1) == 0
          ? "; it is a whole number of 3074-byte records, the CIFAR-100 format, which this reader does not read"
          : IdxReader.isGzip(file) ? "; it is gzip'd: use the uncompressed .bin files" : "";
      throw new DatasetException(file, "size " + bytes + " is not a multiple of the " + RECORD_BYTES
          + "-byte CIFAR-10 record (" + bytes / RECORD_BYTES + " records and " + bytes % RECORD_BYTES
          + " bytes over; truncated, or not a CIFAR-10 batch)" + hint);
    }
    if (bytes / RECORD_BYTES > Integer.MAX_VALUE) {
      throw new DatasetException(file, "has " + bytes / RECORD_BYTES + " records, too many");
    }
    return (int) (bytes / RECORD_BYTES);
  }
}
