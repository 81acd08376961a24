package ai.vq4j.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Image files with their labels, not yet decoded: what a folder (or the emoji set) lists. They become a set
 * in memory ({@link #load}) or one decoded from disk as batches need it ({@link #stream}); {@link #open}
 * chooses by the memory the loaded set would take.
 */
public final class ImageFiles {
  /** How a set of files is read: "auto" (by size), "memory" or "stream". */
  public static final List<String> LOADING = List.of("auto", "memory", "stream");

  private final String name;
  private final Path where;
  private final List<Path> files;
  private final int[] labels;
  private final List<String> classNames;
  private final ImageFolderReader reader;

  /**
   * @param where the folder (or file) errors about the whole set name
   * @param labels one per file, or null
   */
  public ImageFiles(String name, Path where, List<Path> files, int[] labels, List<String> classNames,
      ImageFolderReader reader) {
    if (files.isEmpty()) {
      throw new IllegalArgumentException(name + ": no image files");
    }
    if (labels != null && labels.length != files.size()) {
      throw new IllegalArgumentException(name + ": " + labels.length + " labels for " + files.size() + " files");
    }
    this.name = name;
    this.where = where;
    this.files = List.copyOf(files);
    this.labels = labels == null ? null : labels.clone();
    this.classNames = List.copyOf(classNames);
    this.reader = reader;
  }

  public String name() {
    return name;
  }

  public int size() {
    return files.size();
  }

  public List<Path> files() {
    return files;
  }

  /** A copy of the labels, or null. */
  public int[] labels() {
    return labels == null ? null : labels.clone();
  }

  public List<String> classNames() {
    return classNames;
  }

  public ImageFolderReader reader() {
    return reader;
  }

  /** Values per image: height × width × channels. */
  public long valuesPerImage() {
    return (long) reader.height() * reader.width() * reader.channels();
  }

  /**
   * Bytes the set takes in memory once scaled for training: a uint8 copy while decoding and a float32 copy,
   * 5 bytes a value (the uint8 one is freed once scaled, but both are live at the peak).
   */
  public long memoryBytes() {
    return 5 * valuesPerImage() * files.size();
  }

  /** Decodes every file, in order, into one uint8 set. */
  public Dataset load() throws IOException {
    int imageSize = Math.toIntExact(valuesPerImage());
    if ((long) files.size() * imageSize > IdxReader.MAX_BYTES) {
      throw new DatasetException(where, files.size() + " images of " + reader.height() + "x" + reader.width() + "x"
          + reader.channels() + " do not fit one Java array: stream them (--data-loading stream)");
    }
    byte[] pixels = new byte[files.size() * imageSize];
    for (int i = 0; i < files.size(); i++) {
      reader.readInto(files.get(i), pixels, i * imageSize);
    }
    return new Dataset(name, files.size(), reader.height(), reader.width(), reader.channels(), pixels, null, labels,
        classNames);
  }

  /**
   * The set decoded from disk as batches need it, by threads background threads, scaled to [-0.5, 0.5] as
   * {@code load().scaled()} is: the same values.
   */
  public StreamedImages stream(int threads) {
    return new StreamedImages(name, files, labels, classNames, reader, threads);
  }

  /**
   * The set ready for training, pixels scaled to [-0.5, 0.5]: loaded into memory, or streamed ("auto": when
   * {@link #memoryBytes} exceeds half of the Java heap's limit, so that the model and the test set still fit).
   */
  public ImageSet open(String loading) throws IOException {
    boolean stream;
    switch (loading) {
      case "memory": stream = false; break;
      case "stream": stream = true; break;
      case "auto": stream = memoryBytes() > Runtime.getRuntime().maxMemory() / 2; break;
      default:
        throw new IllegalArgumentException("data loading must be one of " + LOADING + ", got '" + loading + "'");
    }
    return stream ? stream(defaultThreads()) : load().scaled();
  }

  /** Decoding threads of a streamed set: up to 4, one core left to the training loop where there are more. */
  public static int defaultThreads() {
    return Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() - 1));
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "%s: %d files of %dx%dx%d", name, files.size(), reader.height(),
        reader.width(), reader.channels());
  }
}
