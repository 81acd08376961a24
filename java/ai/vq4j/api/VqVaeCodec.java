package ai.vq4j.api;

import ai.vq4j.checkpoint.VqVaeCheckpoint;
import ai.vq4j.data.ImageFolderReader;
import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import ai.vq4j.viz.ImageGrid;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A trained VQ-VAE for host applications: images to code grids, code grids to images, reconstructions.
 *
 * <pre>{@code
 * try (VqVaeCodec codec = VqVaeCodec.load(Path.of("runs/fashion/checkpoint.safetensors"), Device.CPU)) {
 *   int[][] codes = codec.encode(ImageIO.read(new File("shirt.png")));   // 8 x 8 codes in [0, 512)
 *   BufferedImage back = codec.decode(codes);
 * }
 * }</pre>
 *
 * <p>Images: a picture no larger than the model's side is centred on a black background (as 28×28
 * Fashion-MNIST is padded to 32×32); a larger one is scaled to cover the side and centre-cropped. Colour
 * becomes grey (BT.601) for a one-channel model. Float images are HWC in [-0.5, 0.5] at the model's size.
 * Not thread-safe: one codec per thread, or synchronise.
 */
public final class VqVaeCodec implements AutoCloseable {
  private final VqVae model;
  private final VqVaeConfig config;
  private final Tensor image;
  private final Tensor codes;

  private VqVaeCodec(VqVae model) {
    this.model = model;
    this.config = model.config();
    int s = config.imageSize;
    this.image = Tensor.zeros(model.device(), DType.FLOAT32, 1, s, s, config.imageChannels);
    this.codes = Tensor.zeros(model.device(), DType.INT32, 1, config.latentSize(), config.latentSize());
  }

  /** Loads a checkpoint (a training checkpoint or a model-only one) onto the device. */
  public static VqVaeCodec load(Path checkpoint, Device device) throws IOException {
    return new VqVaeCodec(VqVaeCheckpoint.loadModel(checkpoint, device));
  }

  /** Wraps a model in memory; the codec then owns it and closes it. */
  public static VqVaeCodec of(VqVae model) {
    return new VqVaeCodec(model);
  }

  public VqVaeConfig config() {
    return config.copy();
  }

  /** Side of the square code grid. */
  public int gridSize() {
    return config.latentSize();
  }

  public int numCodes() {
    return config.numEmbeddings;
  }

  /** The code grid [row][column] of an image. */
  public int[][] encode(BufferedImage img) {
    return encode(toModelInput(img));
  }

  /** The code grid of an HWC float image in [-0.5, 0.5] at the model's size. */
  public int[][] encode(float[] hwc) {
    image.copyFrom(checkImage(hwc));
    model.forward(image, false);
    int[] flat = model.quantizer().codes().toIntArray();
    int g = gridSize();
    int[][] grid = new int[g][g];
    for (int r = 0; r < g; r++) {
      System.arraycopy(flat, r * g, grid[r], 0, g);
    }
    return grid;
  }

  /** The image a code grid decodes to. */
  public BufferedImage decode(int[][] grid) {
    return toImage(decodeToFloats(grid));
  }

  /** HWC floats in [-0.5, 0.5] (not clamped) for a code grid. */
  public float[] decodeToFloats(int[][] grid) {
    int g = gridSize();
    if (grid.length != g) {
      throw new IllegalArgumentException("decode: the code grid must be " + g + "x" + g + ", got " + grid.length
          + " rows");
    }
    int[] flat = new int[g * g];
    for (int r = 0; r < g; r++) {
      if (grid[r] == null || grid[r].length != g) {
        throw new IllegalArgumentException("decode: row " + r + " of the code grid must have " + g + " codes");
      }
      for (int c = 0; c < g; c++) {
        int code = grid[r][c];
        if (code < 0 || code >= config.numEmbeddings) {
          throw new IllegalArgumentException("decode: code " + code + " at (" + r + ", " + c + ") is outside [0, "
              + config.numEmbeddings + ")");
        }
        flat[r * g + c] = code;
      }
    }
    codes.copyFrom(flat);
    return model.decodeCodes(codes).toFloatArray();
  }

  /** Encode then decode. */
  public BufferedImage reconstruct(BufferedImage img) {
    return toImage(reconstruct(toModelInput(img)));
  }

  /** Encode then decode, as HWC floats. */
  public float[] reconstruct(float[] hwc) {
    image.copyFrom(checkImage(hwc));
    return model.forward(image, false).toFloatArray();
  }

  /** An image as the model's input: HWC floats in [-0.5, 0.5] (see the class comment). */
  public float[] toModelInput(BufferedImage img) {
    int s = config.imageSize;
    int c = config.imageChannels;
    int h = img.getHeight();
    int w = img.getWidth();
    float[] out = new float[s * s * c];
    if (h <= s && w <= s) {
      float[] px = new ImageFolderReader(h, w, c).convert(img);
      java.util.Arrays.fill(out, -0.5f);
      int y0 = (s - h) / 2;
      int x0 = (s - w) / 2;
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          for (int ch = 0; ch < c; ch++) {
            out[((y + y0) * s + x + x0) * c + ch] = Math.round(px[(y * w + x) * c + ch]) / 255f - 0.5f;
          }
        }
      }
    } else {
      float[] px = new ImageFolderReader(s, s, c).convert(img);
      for (int i = 0; i < out.length; i++) {
        out[i] = Math.max(0, Math.min(255, Math.round(px[i]))) / 255f - 0.5f;
      }
    }
    return out;
  }

  private BufferedImage toImage(float[] hwc) {
    return ImageGrid.toImage(hwc, config.imageSize, config.imageSize, config.imageChannels);
  }

  private float[] checkImage(float[] hwc) {
    int s = config.imageSize;
    if (hwc.length != s * s * config.imageChannels) {
      throw new IllegalArgumentException("image: " + hwc.length + " floats, the model takes " + s + "x" + s + "x"
          + config.imageChannels + " = " + s * s * config.imageChannels + " (HWC)");
    }
    return hwc;
  }

  @Override
  public void close() {
    image.close();
    codes.close();
    model.close();
  }
}
