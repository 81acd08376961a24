package ai.vq4j.data;

import java.util.Arrays;
import java.util.List;

/**
 * N images of height × width × channels in NHWC order (channels innermost, as every vq4j tensor),
 * stored either as uint8 (0..255, what the files hold: a quarter of the memory) or as float32 (after
 * {@link #scaled()}), with optional integer labels, class names and a name saying where it came from.
 *
 * <p>A dataset is immutable: every operation returns a new one. The usual pipeline for training is
 * {@code Datasets.fashionMnist(dir, true).padTo(32, 32).scaled()}: pad while the background is still
 * the integer 0, then scale to [-0.5, 0.5], the range the VQ-VAE reference trains on.
 */
public final class Dataset implements ImageSet {
  /** How pixel values are stored. */
  public enum Storage {
    /** Bytes read as 0..255. */
    UINT8,
    /** Floats, typically x / 255 - 0.5. */
    FLOAT32
  }

  /** x / 255 - 0.5 for every uint8 x: what {@link #scaled()} maps to (a streamed set too). */
  static final float[] SCALE = new float[256];

  static {
    for (int v = 0; v < 256; v++) {
      SCALE[v] = v / 255f - 0.5f;
    }
  }

  private final String name;
  private final int size;
  private final int height;
  private final int width;
  private final int channels;
  private final byte[] bytes;
  private final float[] floats;
  private final int[] labels;
  private final List<String> classNames;
  private final Area nativeArea;

  /**
   * Where a set's own pixels lie in its images: all of each image, unless {@link #padTo} added a border,
   * which a model reconstructs trivially and so must not count in its figures.
   */
  public record Area(int top, int left, int height, int width) {
    /** Pixel values in the area of an image with the given channel count. */
    public int values(int channels) {
      return height * width * channels;
    }

    /** Whether (y, x) lies inside. */
    public boolean contains(int y, int x) {
      return y >= top && y < top + height && x >= left && x < left + width;
    }
  }

  /** Takes the arrays without copying them; exactly one of bytes and floats is non-null. */
  Dataset(String name, int size, int height, int width, int channels, byte[] bytes, float[] floats,
      int[] labels, List<String> classNames) {
    this(name, size, height, width, channels, bytes, floats, labels, classNames, new Area(0, 0, height, width));
  }

  private Dataset(String name, int size, int height, int width, int channels, byte[] bytes, float[] floats,
      int[] labels, List<String> classNames, Area nativeArea) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("a dataset needs a name");
    }
    if (size <= 0 || height <= 0 || width <= 0 || channels <= 0) {
      throw new IllegalArgumentException(name + ": sizes must be positive, got " + size + " images of "
          + height + "x" + width + "x" + channels);
    }
    long values = (long) size * height * width * channels;
    if ((bytes == null) == (floats == null)) {
      throw new IllegalArgumentException(name + ": exactly one of uint8 and float pixels must be given");
    }
    int length = bytes != null ? bytes.length : floats.length;
    if (values != length) {
      throw new IllegalArgumentException(name + ": " + length + " pixel values for " + size + " images of "
          + height + "x" + width + "x" + channels + " (" + values + ")");
    }
    if (labels != null) {
      if (labels.length != size) {
        throw new IllegalArgumentException(name + ": " + labels.length + " labels for " + size + " images");
      }
      for (int i = 0; i < size; i++) {
        if (labels[i] < 0 || (!classNames.isEmpty() && labels[i] >= classNames.size())) {
          throw new IllegalArgumentException(name + ": label " + i + " is " + labels[i]
              + (classNames.isEmpty() ? ", labels must be >= 0" : ", not one of " + classNames.size() + " classes"));
        }
      }
    }
    this.name = name;
    this.size = size;
    this.height = height;
    this.width = width;
    this.channels = channels;
    this.bytes = bytes;
    this.floats = floats;
    this.labels = labels;
    this.classNames = List.copyOf(classNames);
    this.nativeArea = nativeArea;
  }

  /**
   * A uint8 dataset from a copy of NHWC pixels.
   *
   * @param labels one per image, or null
   * @param classNames names of the classes, or an empty list
   */
  public static Dataset ofUint8(String name, byte[] pixels, int size, int height, int width, int channels,
      int[] labels, List<String> classNames) {
    return new Dataset(name, size, height, width, channels, pixels.clone(), null,
        labels == null ? null : labels.clone(), classNames);
  }

  /** A float32 dataset from a copy of NHWC values; labels may be null, classNames empty. */
  public static Dataset ofFloat32(String name, float[] values, int size, int height, int width, int channels,
      int[] labels, List<String> classNames) {
    return new Dataset(name, size, height, width, channels, null, values.clone(),
        labels == null ? null : labels.clone(), classNames);
  }

  @Override
  public String name() {
    return name;
  }

  /** Number of images. */
  @Override
  public int size() {
    return size;
  }

  @Override
  public int height() {
    return height;
  }

  @Override
  public int width() {
    return width;
  }

  @Override
  public int channels() {
    return channels;
  }

  /** Values per image: height × width × channels. */
  @Override
  public int imageSize() {
    return height * width * channels;
  }

  public Storage storage() {
    return bytes != null ? Storage.UINT8 : Storage.FLOAT32;
  }

  @Override
  public boolean hasLabels() {
    return labels != null;
  }

  /** The label of image i; an IllegalStateException when the set has none. */
  @Override
  public int label(int i) {
    requireLabels("label");
    return labels[i];
  }

  /** A copy of the labels, or null when the set has none. */
  public int[] labels() {
    return labels == null ? null : labels.clone();
  }

  /** The set's own pixels: the whole image, or inside the border {@link #padTo} added. */
  @Override
  public Area nativeArea() {
    return nativeArea;
  }

  /** Class names indexed by label; empty when unknown. */
  @Override
  public List<String> classNames() {
    return classNames;
  }

  /** The value at (image, y, x, channel): 0..255 for uint8, as stored for float32. */
  public float value(int image, int y, int x, int c) {
    if (y < 0 || y >= height || x < 0 || x >= width || c < 0 || c >= channels) {
      throw new IndexOutOfBoundsException("(" + y + ", " + x + ", " + c + ") outside " + height + "x" + width
          + "x" + channels);
    }
    int i = ((Math.multiplyExact(image, height) + y) * width + x) * channels + c;
    return bytes != null ? bytes[i] & 0xff : floats[i];
  }

  /** Copies image i's values (HWC) into dst at offset, as floats; allocates nothing. */
  @Override
  public void copyImage(int image, float[] dst, int offset) {
    int n = imageSize();
    int src = Math.multiplyExact(image, n);
    if (image < 0 || image >= size) {
      throw new IndexOutOfBoundsException("image " + image + " of " + size);
    }
    if (bytes != null) {
      for (int k = 0; k < n; k++) {
        dst[offset + k] = bytes[src + k] & 0xff;
      }
    } else {
      System.arraycopy(floats, src, dst, offset, n);
    }
  }

  /** All values as one NHWC float array (a copy). */
  public float[] toFloatArray() {
    float[] out = new float[size * imageSize()];
    for (int i = 0; i < size; i++) {
      copyImage(i, out, i * imageSize());
    }
    return out;
  }

  /** A copy of the uint8 pixels; an IllegalStateException for a float32 set. */
  public byte[] toByteArray() {
    if (bytes == null) {
      throw new IllegalStateException(name + " holds float32 values, not uint8");
    }
    return bytes.clone();
  }

  /** The same data under another name. */
  public Dataset withName(String newName) {
    return new Dataset(newName, size, height, width, channels, bytes, floats, labels, classNames, nativeArea);
  }

  /**
   * Pads every image to newHeight × newWidth with zeros, centered (an odd excess puts the extra row or
   * column at the bottom or right): 28×28 → 32×32 puts 2 pixels on each side. Zero is the background of
   * MNIST and Fashion-MNIST, so this is only offered on uint8 sets; after scaling zero would be mid-grey,
   * so a float32 set must say its background with {@link #padTo(int, int, float)}.
   */
  public Dataset padTo(int newHeight, int newWidth) {
    if (bytes == null) {
      throw new IllegalStateException(name + ": padTo(h, w) pads uint8 sets with the background 0; pad before "
          + "scaling, or call padTo(h, w, background) on a float32 set (-0.5 after scaled())");
    }
    return padTo(newHeight, newWidth, 0f);
  }

  /** Pads every image, centered, with the given value (an integer 0..255 for a uint8 set). */
  public Dataset padTo(int newHeight, int newWidth, float background) {
    if (newHeight < height || newWidth < width) {
      throw new IllegalArgumentException(name + ": cannot pad " + height + "x" + width + " to the smaller "
          + newHeight + "x" + newWidth);
    }
    if (bytes != null && (background != Math.rint(background) || background < 0 || background > 255)) {
      throw new IllegalArgumentException(name + ": a uint8 set pads with an integer 0..255, not " + background);
    }
    int top = (newHeight - height) / 2;
    int left = (newWidth - width) / 2;
    long total = (long) size * newHeight * newWidth * channels;
    if (total > IdxReader.MAX_BYTES) {
      throw new IllegalArgumentException(name + ": " + total + " values after padding do not fit one array");
    }
    int row = width * channels;
    int newRow = newWidth * channels;
    int newImage = newHeight * newRow;
    byte[] b = null;
    float[] f = null;
    if (bytes != null) {
      b = new byte[(int) total];
      if (background != 0) {
        Arrays.fill(b, (byte) background);
      }
    } else {
      f = new float[(int) total];
      if (background != 0) {
        Arrays.fill(f, background);
      }
    }
    for (int i = 0; i < size; i++) {
      for (int y = 0; y < height; y++) {
        int src = (i * height + y) * row;
        int dst = i * newImage + (top + y) * newRow + left * channels;
        if (b != null) {
          System.arraycopy(bytes, src, b, dst, row);
        } else {
          System.arraycopy(floats, src, f, dst, row);
        }
      }
    }
    return new Dataset(name, size, newHeight, newWidth, channels, b, f, labels, classNames,
        new Area(top + nativeArea.top(), left + nativeArea.left(), nativeArea.height(), nativeArea.width()));
  }

  /** A float32 set holding x / 255 - 0.5 for every uint8 value x, so values lie in [-0.5, 0.5]. */
  public Dataset scaled() {
    if (bytes == null) {
      throw new IllegalStateException(name + " is float32 already; scaled() maps uint8 0..255 to [-0.5, 0.5]");
    }
    float[] f = new float[bytes.length];
    for (int k = 0; k < f.length; k++) {
      f[k] = SCALE[bytes[k] & 0xff];
    }
    return new Dataset(name, size, height, width, channels, null, f, labels, classNames, nativeArea);
  }

  /** Images from (inclusive) to to (exclusive), copied, with their labels. */
  public Dataset subset(int from, int to) {
    if (from < 0 || to > size || from >= to) {
      throw new IllegalArgumentException(name + ": subset [" + from + ", " + to + ") of " + size
          + " images; it must be non-empty and inside");
    }
    int n = imageSize();
    String sub = from == 0 && to == size ? name : name + "[" + from + ":" + to + "]";
    return new Dataset(sub, to - from, height, width, channels,
        bytes == null ? null : Arrays.copyOfRange(bytes, from * n, to * n),
        floats == null ? null : Arrays.copyOfRange(floats, from * n, to * n),
        labels == null ? null : Arrays.copyOfRange(labels, from, to), classNames, nativeArea);
  }

  /** The first n images. */
  public Dataset first(int n) {
    return subset(0, n);
  }

  /** The first n images and the rest, e.g. a training set and a validation set; both must be non-empty. */
  public List<Dataset> split(int n) {
    if (n <= 0 || n >= size) {
      throw new IllegalArgumentException(name + ": split at " + n + " of " + size
          + " images leaves one side empty");
    }
    return List.of(subset(0, n), subset(n, size));
  }

  /** Mean of all stored values: 0..255 for uint8, of the scaled values for a scaled set. */
  public double meanPixel() {
    if (bytes != null) {
      long[] h = histogram();
      double sum = 0;
      for (int v = 0; v < 256; v++) {
        sum += (double) v * h[v];
      }
      return sum / bytes.length;
    }
    double sum = 0;
    for (float v : floats) {
      sum += v;
    }
    return sum / floats.length;
  }

  /**
   * Population variance of all stored values (divided by the count, as numpy's {@code var}). On the
   * scaled training set it is the {@code data_variance} the VQ-VAE trainer divides the reconstruction
   * MSE by; on a uint8 set it is 255² times that.
   */
  @Override
  public double pixelVariance() {
    double mean = meanPixel();
    double sum = 0;
    if (bytes != null) {
      long[] h = histogram();
      for (int v = 0; v < 256; v++) {
        sum += (v - mean) * (v - mean) * h[v];
      }
      return sum / bytes.length;
    }
    for (float v : floats) {
      sum += (v - mean) * (v - mean);
    }
    return sum / floats.length;
  }

  private long[] histogram() {
    long[] h = new long[256];
    for (byte b : bytes) {
      h[b & 0xff]++;
    }
    return h;
  }

  /** Images per label, indexed by label (length: the number of classes, or the largest label + 1). */
  public int[] classCounts() {
    requireLabels("classCounts");
    int k = classNames.size();
    for (int l : labels) {
      k = Math.max(k, l + 1);
    }
    int[] counts = new int[k];
    for (int l : labels) {
      counts[l]++;
    }
    return counts;
  }

  private void requireLabels(String op) {
    if (labels == null) {
      throw new IllegalStateException(op + ": " + name + " has no labels");
    }
  }

  /** E.g. {@code fashion-mnist-train: 60000 x 28x28x1 uint8, labelled, 10 classes}. */
  @Override
  public String toString() {
    return name + ": " + size + " x " + height + "x" + width + "x" + channels + " "
        + storage().name().toLowerCase() + (labels == null ? ", unlabelled" : ", labelled")
        + (classNames.isEmpty() ? "" : ", " + classNames.size() + " classes");
  }
}
