package ai.vq4j.model;

import ai.vq4j.tensor.Device;
import java.util.List;

/**
 * The shape of a Gated PixelCNN prior over a VQ-VAE's code grid (the codes, classes and seed are {@link
 * BasePriorConfig}'s). Plain fields so that it serialises to the JSON stored in every prior checkpoint;
 * {@link #validate()} names the first field that is out of range. Class labels, when numClasses > 0, condition
 * every layer.
 *
 * <p>The network: a code embedding (K x hidden), {@code layers} gated layers (the first with masks A and a
 * {@code firstKernelSize} kernel, the others with masks B and {@code kernelSize}), then the output head
 * ReLU, 1x1 conv (hidden -> outputHidden), ReLU, 1x1 conv (outputHidden -> K logits). The defaults follow the
 * best-known PyTorch VQ-VAE prior (64 channels, 15 layers, 7x7 then 3x3 kernels, a 512-wide head) over the
 * 8x8 codes of a 32x32 image with K = 512.
 */
public final class PixelCnnConfig extends BasePriorConfig {
  private static final String NAME = "prior config";
  private static final List<String> JSON_ORDER = List.of("numCodes", "gridSize", "hidden", "layers", "kernelSize",
      "firstKernelSize", "outputHidden", "numClasses", "seed");

  /** p: the width of the vertical and horizontal stacks. */
  public int hidden = 64;
  public int layers = 15;
  public int kernelSize = 3;
  public int firstKernelSize = 7;
  /** Width of the output head's hidden 1x1 conv. */
  public int outputHidden = 512;

  /** The defaults for a VQ-VAE's codes: K codes on a grid x grid latent map, optionally class-conditioned. */
  public static PixelCnnConfig forCodes(int numCodes, int gridSize, int numClasses) {
    PixelCnnConfig c = new PixelCnnConfig();
    c.fitCodes(numCodes, gridSize, numClasses);
    return c;
  }

  /** The same config for a VQ-VAE: its codebook size and latent grid. */
  public static PixelCnnConfig forVqVae(VqVaeConfig vqvae, int numClasses) {
    return forCodes(vqvae.numEmbeddings, vqvae.latentSize(), numClasses);
  }

  @Override
  public PriorKind kind() {
    return PriorKind.PIXELCNN;
  }

  @Override
  String name() {
    return NAME;
  }

  @Override
  List<String> jsonOrder() {
    return JSON_ORDER;
  }

  @Override
  public String describe() {
    return layers + " gated layers of " + hidden + " channels, receptive field " + receptiveField();
  }

  @Override
  public PixelCnnPrior build(Device device) {
    return new PixelCnnPrior(this, device);
  }

  /**
   * How far up (rows) and to each side (columns) the logits at a position look: (firstKernelSize / 2) +
   * (layers - 1) (kernelSize / 2). Position (i, j) depends on exactly the positions (i', j') before it in
   * raster order with i - R ≤ i' and |j' - j| ≤ R.
   */
  public int receptiveField() {
    return firstKernelSize / 2 + (layers - 1) * (kernelSize / 2);
  }

  /** Checks every field, with upper bounds that keep a damaged or hostile config from allocating gigabytes. */
  @Override
  public PixelCnnConfig validate() {
    range("numCodes", numCodes, 1, 65536);
    range("gridSize", gridSize, 1, 256);
    range("hidden", hidden, 1, 1024);
    range("layers", layers, 1, 64);
    range("outputHidden", outputHidden, 1, 4096);
    range("kernelSize", kernelSize, 1, 15);
    range("firstKernelSize", firstKernelSize, 3, 15);
    if (kernelSize % 2 == 0) {
      throw new IllegalArgumentException(NAME + " field kernelSize must be odd and >= 1, got " + kernelSize);
    }
    if (firstKernelSize % 2 == 0) {
      throw new IllegalArgumentException(NAME + " field firstKernelSize must be odd and >= 3 (a 1x1 first"
          + " layer with mask A sees nothing), got " + firstKernelSize);
    }
    range("numClasses", numClasses, 0, 65536);
    if (parameterCount() > VqVaeConfig.MAX_PARAMETERS) {
      throw new IllegalArgumentException(NAME + " gives " + parameterCount() + " parameters, more than the "
          + VqVaeConfig.MAX_PARAMETERS + " vq4j builds");
    }
    return this;
  }

  /**
   * The number of parameters {@link PixelCnnPrior} builds for this config, computed without building it
   * (CheckpointShapesTest checks it against the built prior): the code embedding, per gated layer the vertical
   * and horizontal k x k convs to 2p, the 1x1 vertical-to-horizontal link and residual convs and the class
   * bias, then the two 1x1 head convs.
   */
  @Override
  public long parameterCount() {
    long p = hidden;
    long total = (long) numCodes * p + VqVaeConfig.conv(p, outputHidden, 1) + VqVaeConfig.conv(outputHidden, numCodes, 1);
    for (int i = 0; i < layers; i++) {
      long k = i == 0 ? firstKernelSize : kernelSize;
      total += 2 * VqVaeConfig.conv(p, 2 * p, k) + VqVaeConfig.conv(2 * p, 2 * p, 1) + VqVaeConfig.conv(p, p, 1)
          + (long) numClasses * 2 * p;
    }
    return total;
  }

  /** Parses and validates; a malformed document names what is wrong. */
  public static PixelCnnConfig fromJson(String json) {
    return parse(json, PixelCnnConfig.class, NAME);
  }

  public PixelCnnConfig copy() {
    return fromJson(toJson());
  }
}
