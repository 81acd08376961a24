package ai.vq4j.viz;

import java.awt.image.BufferedImage;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Writing and reading PNG files. A PNG is encoded in memory first and then written to a temporary file in the
 * target's folder, flushed to disk and renamed over the target, so a crash (or a full disk) mid-write never leaves
 * a truncated image under the target name: a reader sees the old file or the new one. The rename is atomic where
 * the file system supports it (same folder, so the same file system), and a plain replace otherwise.
 */
public final class Png {
  static {
    Awt.init();
  }

  private Png() {}

  /**
   * Writes {@code image} as a PNG to {@code file}, creating missing parent folders.
   *
   * @throws IOException naming {@code file} when the image cannot be encoded or the file cannot be written;
   *     the target is then left as it was and no temporary file remains
   */
  public static void write(BufferedImage image, Path file) throws IOException {
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(file, "file");
    byte[] bytes;
    try {
      bytes = encode(image);
    } catch (IOException | RuntimeException e) {
      throw new IOException("cannot encode PNG for " + file + ": " + e, e);
    }
    Path dir = file.toAbsolutePath().getParent();
    if (dir == null || file.getFileName() == null) {
      throw new IOException("cannot write PNG " + file + ": not a file name");
    }
    if (Files.isDirectory(file)) {
      // Files.move would silently replace an empty directory.
      throw new IOException("cannot write PNG " + file + ": it is a directory");
    }
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      Path candidate = dir.resolve(
          "." + file.getFileName() + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
      // CREATE_NEW rather than Files.createTempFile: the latter makes the file owner-only (0600), and a picture
      // should get the same permissions as any other file the user creates (the umask's).
      FileChannel ch = FileChannel.open(candidate, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW);
      tmp = candidate;
      try (ch) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new IOException("cannot write PNG " + file + ": " + e, e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // The write itself already succeeded or failed with its own message; a stray temporary file is the
          // lesser problem and its name starts with a dot, next to the target.
        }
      }
    }
  }

  /** The PNG encoding of {@code image}, in memory (ImageIO's file cache is bypassed on purpose). */
  static byte[] encode(BufferedImage image) throws IOException {
    Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("png");
    if (!writers.hasNext()) {
      throw new IOException("no PNG writer in this JDK");
    }
    ImageWriter writer = writers.next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
      writer.setOutput(ios);
      writer.write(image);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  /**
   * Reads a PNG file.
   *
   * @throws IOException naming {@code file} when it is missing, unreadable or not a PNG
   */
  public static BufferedImage read(Path file) throws IOException {
    Objects.requireNonNull(file, "file");
    try (InputStream raw = Files.newInputStream(file);
        ImageInputStream in = new MemoryCacheImageInputStream(new BufferedInputStream(raw))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      ImageReader reader = null;
      while (readers.hasNext()) {
        ImageReader r = readers.next();
        if ("png".equalsIgnoreCase(r.getFormatName())) {
          reader = r;
          break;
        }
      }
      if (reader == null) {
        throw new IOException("not a PNG file");
      }
      try {
        reader.setInput(in, true, true);
        return reader.read(0);
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      throw new IOException("cannot read PNG " + file + ": " + e.getMessage(), e);
    }
  }
}
