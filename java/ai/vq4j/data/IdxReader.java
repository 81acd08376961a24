package ai.vq4j.data;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files, the format of MNIST and Fashion-MNIST: a big-endian int32 magic ({@code 0x00000803}
 * for uint8 images, then the count, rows and columns; {@code 0x00000801} for uint8 labels, then the
 * count), then the uint8 values, and nothing after them. A file is read gzip'd or raw alike: the reader
 * sniffs the gzip magic {@code 1f 8b}, because Debian ships the sets gzip'd and npm ships them raw.
 *
 * <p>Every way a file can be wrong (a wrong magic, a short header, fewer or more data bytes than the
 * header promises, sizes that are negative or too large for one Java array, a broken gzip stream) is a
 * {@link DatasetException} naming the file and the problem: a reader that silently returned garbage
 * would cost a training run, and one that ran out of memory on a header claiming 2^31 images would
 * crash the JVM. Memory grows with the data actually read, never with what a header claims.
 */
public final class IdxReader {
  /** Magic of an IDX file of uint8 values with three dimensions (images: count, rows, columns). */
  public static final int IMAGES_MAGIC = 0x00000803;
  /** Magic of an IDX file of uint8 values with one dimension (labels). */
  public static final int LABELS_MAGIC = 0x00000801;
  /** Largest side accepted: far beyond any image set, small enough that sizes stay meaningful. */
  public static final int MAX_SIDE = 1 << 15;
  /** Largest payload accepted: what one Java array can hold. */
  static final long MAX_BYTES = Integer.MAX_VALUE - 8;

  private IdxReader() {}

  /** The contents of an IDX image file: {@code count} images of rows × cols uint8, row-major. */
  public record Images(int count, int rows, int cols, byte[] pixels) {}

  /** Reads an IDX image file (magic {@code 0x00000803}), gzip'd or raw. */
  public static Images readImages(Path file) throws IOException {
    try (Source in = Source.open(file)) {
      byte[] header = in.header(16, IMAGES_MAGIC, "images");
      int n = intAt(header, 4);
      int rows = intAt(header, 8);
      int cols = intAt(header, 12);
      if (n <= 0) {
        throw new DatasetException(file, "header says " + n + " images; the count must be positive");
      }
      if (rows <= 0 || cols <= 0 || rows > MAX_SIDE || cols > MAX_SIDE) {
        throw new DatasetException(file, "header says images of " + rows + "x" + cols
            + "; each side must be between 1 and " + MAX_SIDE);
      }
      long bytes = (long) n * rows * cols;
      String promise = "header says " + n + " images of " + rows + "x" + cols + " (" + bytes + " bytes)";
      if (bytes > MAX_BYTES) {
        throw new DatasetException(file, promise + ", more than one Java array holds (" + MAX_BYTES + ")");
      }
      byte[] pixels = in.payload((int) bytes, promise);
      return new Images(n, rows, cols, pixels);
    }
  }

  /** Reads an IDX label file (magic {@code 0x00000801}), gzip'd or raw; labels are 0..255. */
  public static int[] readLabels(Path file) throws IOException {
    try (Source in = Source.open(file)) {
      byte[] header = in.header(8, LABELS_MAGIC, "labels");
      int n = intAt(header, 4);
      if (n <= 0) {
        throw new DatasetException(file, "header says " + n + " labels; the count must be positive");
      }
      String promise = "header says " + n + " labels (" + n + " bytes)";
      if (n > MAX_BYTES) {
        throw new DatasetException(file, promise + ", more than one Java array holds (" + MAX_BYTES + ")");
      }
      byte[] raw = in.payload(n, promise);
      int[] labels = new int[n];
      for (int i = 0; i < n; i++) {
        labels[i] = raw[i] & 0xff;
      }
      return labels;
    }
  }

  /**
   * Reads an image file and its label file into one single-channel uint8 {@link Dataset}; the two
   * counts must agree (a mismatch means the files come from different sets or splits).
   *
   * @param labels the label file, or null for images without labels
   * @param classNames names of the classes; every label must be below its size (unless it is empty)
   */
  public static Dataset read(String name, Path images, Path labels, List<String> classNames) throws IOException {
    Images im = readImages(images);
    int[] y = null;
    if (labels != null) {
      y = readLabels(labels);
      if (y.length != im.count()) {
        throw new DatasetException(labels, "holds " + y.length + " labels but " + images + " holds "
            + im.count() + " images; the files come from different sets or splits");
      }
      if (!classNames.isEmpty()) {
        for (int i = 0; i < y.length; i++) {
          if (y[i] >= classNames.size()) {
            throw new DatasetException(labels, "label " + i + " is " + y[i] + ", but this set has "
                + classNames.size() + " classes (0.." + (classNames.size() - 1) + ")");
          }
        }
      }
    }
    return new Dataset(name, im.count(), im.rows(), im.cols(), 1, im.pixels(), null, y, classNames);
  }

  /** Whether the file starts with the gzip magic {@code 1f 8b}. */
  public static boolean isGzip(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return in.read() == 0x1f && in.read() == 0x8b;
    }
  }

  private static int intAt(byte[] b, int off) {
    return (b[off] & 0xff) << 24 | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | (b[off + 3] & 0xff);
  }

  /** The bytes of a file after gunzipping where needed, with errors that name the file. */
  private static final class Source implements Closeable {
    private final Path file;
    private final InputStream in;
    private final boolean gzip;

    private Source(Path file, InputStream in, boolean gzip) {
      this.file = file;
      this.in = in;
      this.gzip = gzip;
    }

    static Source open(Path file) throws IOException {
      if (Files.isDirectory(file)) {
        throw new DatasetException(file, "is a folder, not an IDX file");
      }
      InputStream raw;
      try {
        raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
      } catch (NoSuchFileException e) {
        throw new DatasetException(file, "no such file", e);
      }
      try {
        raw.mark(2);
        boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
        raw.reset();
        if (!gzip) {
          return new Source(file, raw, false);
        }
        try {
          return new Source(file, new GZIPInputStream(raw, 1 << 16), true);
        } catch (ZipException | EOFException e) {
          throw new DatasetException(file, "corrupt gzip stream (bad gzip header: "
              + (e.getMessage() != null ? e.getMessage() : "it ends early") + ")", e);
        }
      } catch (IOException | RuntimeException e) {
        raw.close();
        throw e;
      }
    }

    /** Reads up to len bytes; fewer only at the end of the data. */
    private int read(byte[] buf, int off, int len, long before) throws IOException {
      int got = 0;
      try {
        while (got < len) {
          int r = in.read(buf, off + got, len - got);
          if (r < 0) {
            break;
          }
          got += r;
        }
      } catch (ZipException | EOFException e) {
        if (!gzip) {
          throw e;
        }
        throw new DatasetException(file, "corrupt or truncated gzip stream after " + (before + got)
            + " uncompressed bytes: " + (e.getMessage() != null ? e.getMessage() : "it ends early"), e);
      }
      return got;
    }

    /** Reads a header of the given length and checks its magic. */
    byte[] header(int length, int magic, String what) throws IOException {
      byte[] h = new byte[length];
      int got = read(h, 0, length, 0);
      if (got == 0) {
        throw new DatasetException(file, "empty" + (gzip ? " after gunzipping" : "") + "; expected an IDX "
            + what + " file");
      }
      if (got >= 4) {
        int m = intAt(h, 0);
        if (m != magic) {
          throw new DatasetException(file, String.format("bad magic 0x%08x, expected 0x%08x (IDX uint8 %s)%s",
              m, magic, what, magicHint(m)));
        }
      }
      if (got < length) {
        throw new DatasetException(file, "truncated header: an IDX " + what + " header is " + length
            + " bytes but the file holds only " + got);
      }
      return h;
    }

    private static String magicHint(int m) {
      if (m == IMAGES_MAGIC) {
        return ": this is an IDX image file";
      }
      if (m == LABELS_MAGIC) {
        return ": this is an IDX label file";
      }
      int type = (m >>> 8) & 0xff;
      if ((m >>> 16) == 0 && type == 0x08) {
        return ": an IDX uint8 file with " + (m & 0xff) + " dimensions";
      }
      if ((m >>> 16) == 0 && type >= 0x09 && type <= 0x0e) {
        return String.format(": an IDX file of element type 0x%02x, not uint8", type);
      }
      return ": not an IDX file";
    }

    /**
     * Reads exactly len data bytes and checks nothing follows. The buffer doubles as data arrives, so a
     * header that lies about its size costs at most twice the bytes really present.
     */
    byte[] payload(int len, String promise) throws IOException {
      byte[] buf = new byte[Math.min(len, 1 << 20)];
      int got = 0;
      while (got < len) {
        if (got == buf.length) {
          buf = Arrays.copyOf(buf, (int) Math.min(len, 2L * buf.length));
        }
        int r = read(buf, got, buf.length - got, got);
        got += r;
        if (got < buf.length) {
          break;
        }
      }
      if (got < len) {
        throw new DatasetException(file, "truncated: " + promise + " but only " + got + " bytes follow"
            + (gzip ? " (after gunzipping)" : ""));
      }
      long extra = 0;
      byte[] skip = new byte[8192];
      int r;
      while ((r = read(skip, 0, skip.length, (long) len + extra)) > 0) {
        extra += r;
      }
      if (extra > 0) {
        throw new DatasetException(file, "trailing garbage: " + promise + " but " + extra
            + " more bytes follow" + (gzip ? " (after gunzipping)" : ""));
      }
      return buf;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
