package ai.vq4j.viz;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Tiles a batch of images into one picture, the way a training run shows its inputs, reconstructions and samples.
 *
 * <p>Images come as the model sees them: float32 NHWC ({@code C} = 1 grey or 3 RGB) scaled to [-0.5, 0.5], so
 * a batch goes from a tensor to a PNG without a conversion step in between. A value {@code x} becomes the 8-bit
 * pixel {@code round((x + 0.5) * 255)} clamped to 0..255 (NaN becomes 0); {@link #fromImage} is the exact inverse
 * on 8-bit values, so data loaded from a PNG and written back is unchanged.
 *
 * <p>Geometry, with {@code cols = min(columns, N)}, {@code rows = ceil(N / columns)}, tile {@code W*scale} by
 * {@code H*scale} and {@code p} the padding (in output pixels, not scaled): {@link #render} is
 * {@code cols*W*scale + (cols+1)*p} wide and {@code L + rows*H*scale + (rows+1)*p} high, image {@code i} in row
 * {@code i / cols}, column {@code i % cols}, row-major. {@code L} is the label strip: {@value #LABEL_STRIP} pixels
 * when column labels are set, 0 otherwise; it does not depend on fonts being installed. Cells past {@code N} in
 * the last row are left in the background colour. Upscaling is nearest neighbour so that every source pixel stays a
 * sharp square: a 28x28 digit at scale 4 is 112x112 with no blur to misread as reconstruction error.
 *
 * <p>Instances are immutable; the {@code with...} methods return changed copies.
 */
public final class ImageGrid {
  static {
    Awt.init();
  }

  /** Height in pixels of the strip above the first row that holds column labels, when there are any. */
  public static final int LABEL_STRIP = 16;

  private static final int LABEL_FONT_SIZE = 11;

  private final int columns;
  private final int padding;
  private final int background;
  private final int scale;
  private final List<String> columnLabels;

  private ImageGrid(int columns, int padding, int background, int scale, List<String> columnLabels) {
    this.columns = columns;
    this.padding = padding;
    this.background = background;
    this.scale = scale;
    this.columnLabels = columnLabels;
  }

  /** 8 columns, 2 pixels of white padding, no upscaling, no labels. */
  public static ImageGrid defaults() {
    return new ImageGrid(8, 2, 0xFFFFFF, 1, List.of());
  }

  /** At most {@code columns} images per row (fewer when the batch is smaller). */
  public ImageGrid withColumns(int columns) {
    if (columns < 1) {
      throw new IllegalArgumentException("columns must be at least 1, got " + columns);
    }
    return new ImageGrid(columns, padding, background, scale, columnLabels);
  }

  /** Gap in output pixels between tiles and around the border; 0 packs tiles edge to edge. */
  public ImageGrid withPadding(int padding) {
    if (padding < 0) {
      throw new IllegalArgumentException("padding must be at least 0, got " + padding);
    }
    return new ImageGrid(columns, padding, background, scale, columnLabels);
  }

  /** Colour of the padding, empty cells and label strip (alpha ignored). */
  public ImageGrid withBackground(Color background) {
    return new ImageGrid(columns, padding, background.getRGB() & 0xFFFFFF, scale, columnLabels);
  }

  /** Integer upscale factor, nearest neighbour: each source pixel becomes a {@code scale x scale} square. */
  public ImageGrid withScale(int scale) {
    if (scale < 1) {
      throw new IllegalArgumentException("scale must be at least 1, got " + scale);
    }
    return new ImageGrid(columns, padding, background, scale, columnLabels);
  }

  /**
   * Text above each column (class names, say), centred and clipped to the column's width; an empty list removes
   * the label strip. There may be fewer labels than columns, not more. Without fonts the strip stays blank.
   */
  public ImageGrid withColumnLabels(List<String> labels) {
    List<String> copy = new ArrayList<>(labels.size());
    for (String s : labels) {
      copy.add(s == null ? "" : s);
    }
    return new ImageGrid(columns, padding, background, scale, Collections.unmodifiableList(copy));
  }

  public int columns() {
    return columns;
  }

  public int padding() {
    return padding;
  }

  public int scale() {
    return scale;
  }

  /** Background as 0xRRGGBB. */
  public int background() {
    return background;
  }

  public List<String> columnLabels() {
    return columnLabels;
  }

  /**
   * Tiles {@code n} images of {@code h x w x c} from {@code nhwc} (see the class comment for the layout).
   *
   * @throws IllegalArgumentException when a dimension is not positive, {@code c} is not 1 or 3, the array length
   *     is not {@code n*h*w*c}, or there are more column labels than columns
   */
  public BufferedImage render(float[] nhwc, int n, int h, int w, int c) {
    checkShape("ImageGrid.render", "images", nhwc, n, h, w, c);
    int cols = Math.min(columns, n);
    int rows = (n + columns - 1) / columns;
    int tileW = w * scale;
    int tileH = h * scale;
    int strip = labelStrip(cols);
    int width = dim(cols * (long) tileW + (cols + 1L) * padding);
    int height = dim(strip + rows * (long) tileH + (rows + 1L) * padding);
    BufferedImage out = canvas(width, height);
    int[] px = ((DataBufferInt) out.getRaster().getDataBuffer()).getData();
    for (int i = 0; i < n; i++) {
      int x0 = padding + (i % cols) * (tileW + padding);
      int y0 = strip + padding + (i / cols) * (tileH + padding);
      blit(nhwc, i, h, w, c, px, width, x0, y0);
    }
    drawLabels(out, cols, tileW);
    return out;
  }

  /**
   * Originals above their reconstructions, for judging a VQ-VAE at a glance.
   *
   * <p>The batch is cut into groups of {@code cols = min(columns, N)} images; each group takes two rows, its
   * originals and, directly under each, that image's reconstruction. Groups are separated by twice the padding, so
   * the eye pairs each original with the tile right below it rather than with the group above. This beats putting
   * all originals in a top block and all reconstructions in a bottom block, where an image and its reconstruction
   * can be far apart on a large batch. Geometry: {@code cols*W*scale + (cols+1)*p} wide and
   * {@code L + p + groups*(2*H*scale + p) + (groups-1)*2p + p} high with {@code groups = ceil(N / columns)};
   * original {@code i} sits at x = {@code p + (i % cols)*(W*scale + p)}, y = {@code L + p +
   * (i / cols)*(2*H*scale + 3p)}, its reconstruction {@code H*scale + p} lower.
   *
   * @throws IllegalArgumentException when either array does not hold {@code n*h*w*c} values, or as {@link #render}
   */
  public BufferedImage renderPairs(float[] originals, float[] reconstructions, int n, int h, int w, int c) {
    checkShape("ImageGrid.renderPairs", "originals", originals, n, h, w, c);
    checkShape("ImageGrid.renderPairs", "reconstructions", reconstructions, n, h, w, c);
    int cols = Math.min(columns, n);
    int groups = (n + columns - 1) / columns;
    int tileW = w * scale;
    int tileH = h * scale;
    int strip = labelStrip(cols);
    long groupPitch = 2L * tileH + 3L * padding;
    int width = dim(cols * (long) tileW + (cols + 1L) * padding);
    int height = dim(strip + padding + groups * (2L * tileH + padding) + (groups - 1L) * 2 * padding + padding);
    BufferedImage out = canvas(width, height);
    int[] px = ((DataBufferInt) out.getRaster().getDataBuffer()).getData();
    for (int i = 0; i < n; i++) {
      int x0 = padding + (i % cols) * (tileW + padding);
      int y0 = (int) (strip + padding + (i / cols) * groupPitch);
      blit(originals, i, h, w, c, px, width, x0, y0);
      blit(reconstructions, i, h, w, c, px, width, x0, y0 + tileH + padding);
    }
    drawLabels(out, cols, tileW);
    return out;
  }

  private int labelStrip(int cols) {
    if (columnLabels.size() > cols) {
      throw new IllegalArgumentException(
          columnLabels.size() + " column labels for a grid of " + cols + " columns: at most one label per column");
    }
    return columnLabels.isEmpty() ? 0 : LABEL_STRIP;
  }

  private static int dim(long size) {
    if (size > Integer.MAX_VALUE / 4) {
      throw new IllegalArgumentException("grid of " + size + " pixels along one side is too large to draw");
    }
    return (int) size;
  }

  private BufferedImage canvas(int width, int height) {
    BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    int[] px = ((DataBufferInt) out.getRaster().getDataBuffer()).getData();
    Arrays.fill(px, background);
    return out;
  }

  /** Copies image {@code i}, upscaled, into the packed RGB pixels {@code px} (row stride {@code stride}). */
  private void blit(float[] src, int i, int h, int w, int c, int[] px, int stride, int x0, int y0) {
    int base = i * h * w * c;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int at = base + (y * w + x) * c;
        int rgb;
        if (c == 1) {
          int v = toPixel(src[at]);
          rgb = v << 16 | v << 8 | v;
        } else {
          rgb = toPixel(src[at]) << 16 | toPixel(src[at + 1]) << 8 | toPixel(src[at + 2]);
        }
        for (int dy = 0; dy < scale; dy++) {
          int row = (y0 + y * scale + dy) * stride + x0 + x * scale;
          Arrays.fill(px, row, row + scale, rgb);
        }
      }
    }
  }

  private void drawLabels(BufferedImage out, int cols, int tileW) {
    if (columnLabels.isEmpty() || !Awt.textAvailable()) {
      return;
    }
    Graphics2D g = out.createGraphics();
    try {
      Awt.font(g, LABEL_FONT_SIZE);
      int r = background >> 16 & 0xFF;
      int gr = background >> 8 & 0xFF;
      int b = background & 0xFF;
      g.setColor(luma(r, gr, b) > 127 ? Color.BLACK : Color.WHITE);
      int baseline = (LABEL_STRIP + Awt.ascent(g)) / 2;
      for (int col = 0; col < columnLabels.size(); col++) {
        String s = columnLabels.get(col);
        int cellX = padding / 2 + col * (tileW + padding);
        int cellW = tileW + padding;
        int textW = Awt.stringWidth(g, s);
        g.setClip(cellX, 0, cellW, LABEL_STRIP);
        Awt.drawString(g, s, cellX + Math.max(0, (cellW - textW) / 2f), baseline);
      }
    } finally {
      g.dispose();
    }
  }

  /** The 8-bit pixel for a value in [-0.5, 0.5]: {@code round((x + 0.5) * 255)} clamped to 0..255; NaN is 0. */
  public static int toPixel(float x) {
    int v = Math.round((x + 0.5f) * 255f);
    return v < 0 ? 0 : Math.min(v, 255);
  }

  /** The value in [-0.5, 0.5] for an 8-bit pixel: {@code v / 255 - 0.5}; {@code toPixel} undoes it exactly. */
  public static float fromPixel(int v) {
    if (v < 0 || v > 255) {
      throw new IllegalArgumentException("pixel value " + v + " outside 0..255");
    }
    return v / 255f - 0.5f;
  }

  /**
   * One HWC image as a picture: 8-bit grey ({@code TYPE_BYTE_GRAY}) for {@code c = 1}, RGB for {@code c = 3}.
   * Grey samples are written to the raster directly, never through {@code setRGB}, whose colour-space conversion
   * would shift grey levels and break the round trip.
   */
  public static BufferedImage toImage(float[] hwc, int h, int w, int c) {
    checkShape("ImageGrid.toImage", "image", hwc, false, 1, h, w, c);
    if (c == 1) {
      BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
      WritableRaster r = img.getRaster();
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          r.setSample(x, y, 0, toPixel(hwc[y * w + x]));
        }
      }
      return img;
    }
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    int[] px = ((DataBufferInt) img.getRaster().getDataBuffer()).getData();
    for (int i = 0; i < h * w; i++) {
      px[i] = toPixel(hwc[3 * i]) << 16 | toPixel(hwc[3 * i + 1]) << 8 | toPixel(hwc[3 * i + 2]);
    }
    return img;
  }

  /**
   * A picture as an HWC float array in [-0.5, 0.5] with {@code channels} = 1 or 3.
   *
   * <p>Grey pictures (8- or 16-bit, with or without alpha) are read from their raster, so 8-bit grey comes back
   * exactly; asked for 3 channels, the grey level is repeated. Colour and palette pictures are read as sRGB; asked
   * for 1 channel they are reduced to luma with the ITU-R BT.601 weights 0.299 R + 0.587 G + 0.114 B in the same
   * 16-bit fixed point PIL's {@code convert("L")} uses, so a dataset converted in Python and here agrees. Alpha is
   * ignored (not composited).
   */
  public static float[] fromImage(BufferedImage img, int channels) {
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException("ImageGrid.fromImage: channels must be 1 or 3, got " + channels);
    }
    int w = img.getWidth();
    int h = img.getHeight();
    float[] out = new float[h * w * channels];
    boolean grey = img.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY
        && !(img.getColorModel() instanceof IndexColorModel);
    if (grey) {
      Raster r = img.getRaster();
      int bits = r.getSampleModel().getSampleSize(0);
      long max = (1L << bits) - 1;
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int s = r.getSample(x, y, 0);
          int v = bits == 8 ? s : (int) ((s * 255L + max / 2) / max);
          float f = fromPixel(v);
          int at = (y * w + x) * channels;
          for (int k = 0; k < channels; k++) {
            out[at + k] = f;
          }
        }
      }
      return out;
    }
    int[] rgb = img.getRGB(0, 0, w, h, null, 0, w);
    for (int i = 0; i < rgb.length; i++) {
      int r = rgb[i] >> 16 & 0xFF;
      int g = rgb[i] >> 8 & 0xFF;
      int b = rgb[i] & 0xFF;
      if (channels == 1) {
        out[i] = fromPixel(luma(r, g, b));
      } else {
        out[3 * i] = fromPixel(r);
        out[3 * i + 1] = fromPixel(g);
        out[3 * i + 2] = fromPixel(b);
      }
    }
    return out;
  }

  /** PIL's integer BT.601 luma, exact for grey (r = g = b gives r). */
  static int luma(int r, int g, int b) {
    return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
  }

  private static void checkShape(String op, String what, float[] data, int n, int h, int w, int c) {
    checkShape(op, what, data, true, n, h, w, c);
  }

  /** {@code batch}: NHWC with {@code n} images; otherwise a single HWC image ({@code n} ignored). */
  private static void checkShape(String op, String what, float[] data, boolean batch, int n, int h, int w, int c) {
    Objects.requireNonNull(data, what);
    String shape = (batch ? "[N=" + n + ", " : "[") + "H=" + h + ", W=" + w + ", C=" + c + "]";
    if ((batch && n < 1) || h < 1 || w < 1) {
      throw new IllegalArgumentException(
          op + ": " + what + " shape " + shape + " must have " + (batch ? "N, " : "") + "H and W >= 1");
    }
    if (c != 1 && c != 3) {
      throw new IllegalArgumentException(op + ": " + what + " shape " + shape + " must have C = 1 (grey) or 3 (RGB)");
    }
    long want = (batch ? (long) n : 1L) * h * w * c;
    if (data.length != want) {
      throw new IllegalArgumentException(op + ": " + what + " has " + data.length + " floats, but shape " + shape
          + " (" + (batch ? "NHWC" : "HWC") + ") needs " + want);
    }
  }
}
