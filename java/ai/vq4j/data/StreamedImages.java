package ai.vq4j.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Image files decoded when they are read, for a folder larger than memory: only the file names and labels are
 * held. Values are scaled to [-0.5, 0.5] exactly as {@link Dataset#scaled()} scales a loaded set, so a
 * {@link Batcher} gives the same batches either way; it decodes the batches ahead of the training loop on
 * {@link #threads()} background threads. A file that fails to decode is an {@link UncheckedIOException} whose
 * cause, a {@link DatasetException}, names it.
 */
public final class StreamedImages implements ImageSet {
  /** Images {@link #pixelVariance} decodes (evenly spaced over the set). */
  static final int VARIANCE_SAMPLE = 2048;

  private final String name;
  private final List<Path> files;
  private final int[] labels;
  private final List<String> classNames;
  private final ImageFolderReader reader;
  private final int threads;

  StreamedImages(String name, List<Path> files, int[] labels, List<String> classNames, ImageFolderReader reader,
      int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException(name + ": a streamed set needs at least 1 decoding thread, got " + threads);
    }
    this.name = name;
    this.files = List.copyOf(files);
    this.labels = labels == null ? null : labels.clone();
    this.classNames = List.copyOf(classNames);
    this.reader = reader;
    this.threads = threads;
  }

  /** Background threads that decode batches ahead of the loop. */
  public int threads() {
    return threads;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public int size() {
    return files.size();
  }

  @Override
  public int height() {
    return reader.height();
  }

  @Override
  public int width() {
    return reader.width();
  }

  @Override
  public int channels() {
    return reader.channels();
  }

  @Override
  public boolean hasLabels() {
    return labels != null;
  }

  @Override
  public int label(int i) {
    if (labels == null) {
      throw new IllegalStateException("label: " + name + " has no labels");
    }
    return labels[i];
  }

  @Override
  public List<String> classNames() {
    return classNames;
  }

  @Override
  public Dataset.Area nativeArea() {
    return new Dataset.Area(0, 0, height(), width());
  }

  /** Decodes file i; safe to call from several threads at once. */
  @Override
  public void copyImage(int image, float[] dst, int offset) {
    if (image < 0 || image >= files.size()) {
      throw new IndexOutOfBoundsException("image " + image + " of " + files.size());
    }
    byte[] pixels = new byte[imageSize()];
    try {
      reader.readInto(files.get(image), pixels, 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
    for (int k = 0; k < pixels.length; k++) {
      dst[offset + k] = Dataset.SCALE[pixels[k] & 0xff];
    }
  }

  /** Estimated on up to {@value #VARIANCE_SAMPLE} evenly spaced images: reading them all would be an epoch. */
  @Override
  public double pixelVariance() {
    int m = Math.min(files.size(), VARIANCE_SAMPLE);
    float[] image = new float[imageSize()];
    double sum = 0;
    double sumSq = 0;
    for (int j = 0; j < m; j++) {
      copyImage((int) ((long) j * files.size() / m), image, 0);
      for (float v : image) {
        sum += v;
        sumSq += (double) v * v;
      }
    }
    double count = (double) m * image.length;
    double mean = sum / count;
    return Math.max(0, sumSq / count - mean * mean);
  }

  @Override
  public String toString() {
    return name + ": " + files.size() + " x " + height() + "x" + width() + "x" + channels() + " streamed from disk ("
        + threads + " decoding threads), " + (labels == null ? "unlabelled" : "labelled")
        + (classNames.isEmpty() ? "" : ", " + classNames.size() + " classes");
  }
}
