package ai.vq4j.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Reads a folder of PNG and JPEG images (via {@code javax.imageio}) into one uint8 set of a size the
 * caller chooses, optionally labelled by class subfolders.
 *
 * <p><b>Layout.</b> Without labels, the image files directly in the folder are read (subfolders are
 * ignored). With labels, every subfolder is a class: the sorted subfolder names are the class names and
 * their positions the labels; an empty class folder, or an image lying beside the class folders, is an
 * error rather than a silently missing class or image. Files are read in sorted name order, so a folder
 * always gives the same set. Files without a {@code .png}, {@code .jpg} or {@code .jpeg} extension are
 * skipped (a README beside the images is fine); a file with one of those extensions that ImageIO cannot
 * decode is a {@link DatasetException} naming it.
 *
 * <p><b>Size.</b> Real photos come in all sizes, so each image is scaled to cover the target (the shorter
 * side relative to the target fits exactly) and the excess is cropped from the center, keeping the
 * aspect ratio. The scaling is separable with a triangle (bilinear) filter whose support widens with
 * the reduction, so downscaling averages every source pixel (no aliasing, like Pillow's antialiased
 * bilinear) and upscaling interpolates bilinearly. It is plain Java arithmetic rather than Java2D, so the
 * result does not depend on rendering hints or the JDK; an image already of the target size is copied
 * unchanged.
 *
 * <p><b>Colour.</b> The caller chooses 1 (grey) or 3 (RGB) output channels. Grey sources are read from
 * their raster samples (Java's colour conversion would change grey values), RGB to grey is ITU-R BT.601
 * luma (0.299 R + 0.587 G + 0.114 B, as Pillow's "L" mode), and transparent pixels are composited over
 * black (the background that padding uses too) or a grey level the caller chooses.
 */
public final class ImageFolderReader {
  /** Largest source image decoded: its pixels are held as ints and floats while it is scaled. */
  public static final long MAX_SOURCE_PIXELS = 1L << 25;
  /** Longest source side (a 1 x 30M-pixel strip is no photo). */
  public static final int MAX_SOURCE_SIDE = 1 << 15;
  /** Longest side images are scaled to. */
  public static final int MAX_TARGET_SIDE = 4096;

  private final int height;
  private final int width;
  private final int channels;
  private final int background;

  /**
   * A reader producing images of height × width × channels, transparent pixels composited over black.
   *
   * @param channels 1 for grey, 3 for RGB
   */
  public ImageFolderReader(int height, int width, int channels) {
    this(height, width, channels, 0);
  }

  /**
   * A reader producing images of height × width × channels, transparent pixels composited over the grey level
   * background (0 black .. 255 white) in every channel.
   */
  public ImageFolderReader(int height, int width, int channels, int background) {
    // 4096 keeps every scaling buffer (a source side up to MAX_SOURCE_SIDE times a target side) in int range.
    if (height <= 0 || width <= 0 || height > MAX_TARGET_SIDE || width > MAX_TARGET_SIDE) {
      throw new IllegalArgumentException("target size " + height + "x" + width + " must be 1.." + MAX_TARGET_SIDE);
    }
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException("channels must be 1 (grey) or 3 (RGB), not " + channels);
    }
    if (background < 0 || background > 255) {
      throw new IllegalArgumentException("background must be a grey level 0..255, not " + background);
    }
    this.height = height;
    this.width = width;
    this.channels = channels;
    this.background = background;
  }

  public int height() {
    return height;
  }

  public int width() {
    return width;
  }

  public int channels() {
    return channels;
  }

  /** Whether a file name has an extension this reader reads. */
  public static boolean isImageFile(Path file) {
    String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
    return !n.startsWith(".") && (n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg"));
  }

  /**
   * Reads the folder into memory.
   *
   * @param labelsFromSubfolders true: each subfolder is a class; false: the images in dir, unlabelled
   */
  public Dataset read(Path dir, boolean labelsFromSubfolders) throws IOException {
    return list(dir, labelsFromSubfolders).load();
  }

  /**
   * The folder's image files and labels, in the order {@link #read} gives them, without decoding any: to
   * load them into memory ({@link ImageFiles#load}) or stream them ({@link ImageFiles#stream}).
   *
   * @param labelsFromSubfolders true: each subfolder is a class; false: the images in dir, unlabelled
   */
  public ImageFiles list(Path dir, boolean labelsFromSubfolders) throws IOException {
    List<Path> files = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    List<String> classNames = new ArrayList<>();
    if (labelsFromSubfolders) {
      List<Path> loose = list(dir).stream().filter(p -> !Files.isDirectory(p) && isImageFile(p)).toList();
      if (!loose.isEmpty()) {
        throw new DatasetException(dir, loose.size() + " image(s) beside the class subfolders (e.g. "
            + loose.get(0).getFileName() + "); move them into a class folder or read without labels");
      }
      for (Path sub : list(dir)) {
        if (!Files.isDirectory(sub) || sub.getFileName().toString().startsWith(".")) {
          continue;
        }
        List<Path> images = images(sub);
        if (images.isEmpty()) {
          throw new DatasetException(sub, "class folder holds no .png/.jpg/.jpeg images");
        }
        for (Path p : images) {
          files.add(p);
          labels.add(classNames.size());
        }
        classNames.add(sub.getFileName().toString());
      }
      if (classNames.isEmpty()) {
        throw new DatasetException(dir, "no class subfolders (read it without labels for a flat folder)");
      }
    } else {
      files.addAll(images(dir));
      if (files.isEmpty()) {
        throw new DatasetException(dir, "holds no .png/.jpg/.jpeg images");
      }
    }
    String name = dir.getFileName() == null ? dir.toString() : dir.getFileName().toString();
    int[] y = labelsFromSubfolders ? labels.stream().mapToInt(Integer::intValue).toArray() : null;
    return new ImageFiles(name, dir, files, y, classNames, this);
  }

  /** Reads one image file, scaled and cropped to the target, into dst at offset (HWC uint8). */
  public void readInto(Path file, byte[] dst, int offset) throws IOException {
    BufferedImage image = decode(file);
    float[] planes;
    try {
      planes = pixels(image);
    } catch (RuntimeException e) {
      throw new DatasetException(file, "unreadable image: cannot decode its pixels: " + e, e);
    }
    float[] out = resize(planes, image.getHeight(), image.getWidth(), channels, height, width);
    for (int k = 0; k < out.length; k++) {
      dst[offset + k] = (byte) Math.max(0, Math.min(255, Math.round(out[k])));
    }
  }

  /**
   * Decodes a whole image, checking its size from the header before any pixel is allocated (a small file
   * can claim 20000 x 20000 pixels). ImageIO fills a truncated or corrupt image with grey and only reports a
   * warning; a warning here is an error, since the file does not hold the image it claims.
   */
  static BufferedImage decode(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new DatasetException(file, Files.exists(file) ? "not a regular file" : "no such file");
    }
    try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
      Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
      if (readers == null || !readers.hasNext()) {
        throw new DatasetException(file, "unreadable image: no ImageIO decoder recognises its contents "
            + "(not a valid PNG or JPEG)");
      }
      ImageReader reader = readers.next();
      List<String> warnings = new ArrayList<>();
      try {
        reader.setInput(in, true, true);
        reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
        int w = reader.getWidth(0);
        int h = reader.getHeight(0);
        if (w <= 0 || h <= 0 || w > MAX_SOURCE_SIDE || h > MAX_SOURCE_SIDE || (long) w * h > MAX_SOURCE_PIXELS) {
          throw new DatasetException(file, "image is " + w + "x" + h + " pixels; vq4j reads images of at most "
              + MAX_SOURCE_PIXELS + " pixels with sides up to " + MAX_SOURCE_SIDE);
        }
        BufferedImage image = reader.read(0);
        if (!warnings.isEmpty()) {
          throw new DatasetException(file, "corrupt or truncated image: " + String.join("; ", warnings));
        }
        return image;
      } catch (DatasetException e) {
        throw e;
      } catch (IOException | RuntimeException e) {
        throw new DatasetException(file, "unreadable image: " + e, e);
      } finally {
        reader.dispose();
      }
    }
  }

  /**
   * An image in memory as HWC floats in 0..255 at the target size and channel count, scaled and cropped
   * as files are.
   */
  public float[] convert(BufferedImage image) {
    return resize(pixels(image), image.getHeight(), image.getWidth(), channels, height, width);
  }

  /** The image as HWC floats in 0..255 with the target channel count. */
  private float[] pixels(BufferedImage image) {
    int h = image.getHeight();
    int w = image.getWidth();
    float[] out = new float[h * w * channels];
    ColorModel cm = image.getColorModel();
    Raster raster = image.getRaster();
    boolean grey = cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY && raster.getNumBands() <= 2;
    if (grey) {
      float scale = 255f / ((1 << cm.getComponentSize(0)) - 1);
      boolean alpha = raster.getNumBands() == 2;
      float alphaScale = alpha ? 1f / ((1 << cm.getComponentSize(1)) - 1) : 0;
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          float v = raster.getSample(x, y, 0) * scale;
          if (alpha) {
            float a = raster.getSample(x, y, 1) * alphaScale;
            v = v * a + (1 - a) * background;
          }
          for (int c = 0; c < channels; c++) {
            out[(y * w + x) * channels + c] = v;
          }
        }
      }
      return out;
    }
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      image.getRGB(0, y, w, 1, row, 0, w);
      for (int x = 0; x < w; x++) {
        int argb = row[x];
        float a = (argb >>> 24) / 255f;
        float under = (1 - a) * background;
        float r = ((argb >> 16) & 0xff) * a + under;
        float g = ((argb >> 8) & 0xff) * a + under;
        float b = (argb & 0xff) * a + under;
        int o = (y * w + x) * channels;
        if (channels == 1) {
          out[o] = 0.299f * r + 0.587f * g + 0.114f * b;
        } else {
          out[o] = r;
          out[o + 1] = g;
          out[o + 2] = b;
        }
      }
    }
    return out;
  }

  /**
   * Scales an HWC image to cover outH × outW and crops the center: first along x, then along y, each a
   * triangle filter of support max(1, 1/scale) source pixels centred on the output pixel's centre.
   */
  static float[] resize(float[] src, int h, int w, int c, int outH, int outW) {
    if (h == outH && w == outW) {
      return src;
    }
    double scale = Math.max((double) outH / h, (double) outW / w);
    double x0 = (w - outW / scale) / 2;
    double y0 = (h - outH / scale) / 2;
    // Along x: h rows of w pixels -> h rows of outW pixels.
    float[] mid = new float[h * outW * c];
    Weights wx = new Weights(w, outW, scale, x0);
    for (int y = 0; y < h; y++) {
      for (int ox = 0; ox < outW; ox++) {
        for (int ch = 0; ch < c; ch++) {
          double s = 0;
          for (int k = 0; k < wx.count[ox]; k++) {
            s += wx.weight[ox][k] * src[(y * w + wx.first[ox] + k) * c + ch];
          }
          mid[(y * outW + ox) * c + ch] = (float) s;
        }
      }
    }
    // Along y: h rows -> outH rows.
    float[] out = new float[outH * outW * c];
    Weights wy = new Weights(h, outH, scale, y0);
    for (int oy = 0; oy < outH; oy++) {
      for (int x = 0; x < outW; x++) {
        for (int ch = 0; ch < c; ch++) {
          double s = 0;
          for (int k = 0; k < wy.count[oy]; k++) {
            s += wy.weight[oy][k] * mid[((wy.first[oy] + k) * outW + x) * c + ch];
          }
          out[(oy * outW + x) * c + ch] = (float) s;
        }
      }
    }
    return out;
  }

  /** Normalised triangle-filter taps of each output position along one axis. */
  private static final class Weights {
    final int[] first;
    final int[] count;
    final double[][] weight;

    Weights(int in, int out, double scale, double offset) {
      double support = Math.max(1.0, 1.0 / scale);
      first = new int[out];
      count = new int[out];
      weight = new double[out][];
      for (int o = 0; o < out; o++) {
        double centre = offset + (o + 0.5) / scale;
        int lo = Math.max(0, (int) Math.floor(centre - support));
        int hi = Math.min(in - 1, (int) Math.ceil(centre + support));
        double[] wts = new double[hi - lo + 1];
        double total = 0;
        for (int i = lo; i <= hi; i++) {
          double t = Math.abs(i + 0.5 - centre) / support;
          wts[i - lo] = Math.max(0, 1 - t);
          total += wts[i - lo];
        }
        if (total == 0) {
          // Cannot happen for centre inside [0, in]; kept so a rounding edge never divides by zero.
          int nearest = Math.max(lo, Math.min(hi, (int) Math.floor(centre)));
          wts[nearest - lo] = 1;
          total = 1;
        }
        for (int k = 0; k < wts.length; k++) {
          wts[k] /= total;
        }
        first[o] = lo;
        count[o] = wts.length;
        weight[o] = wts;
      }
    }
  }

  private static List<Path> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    } catch (NoSuchFileException e) {
      throw new DatasetException(dir, "no such folder", e);
    } catch (NotDirectoryException e) {
      throw new DatasetException(dir, "not a folder", e);
    }
  }

  private static List<Path> images(Path dir) throws IOException {
    return list(dir).stream().filter(p -> isImageFile(p) && Files.isRegularFile(p)).toList();
  }
}
