package ai.vq4j.model;

import ai.vq4j.nn.Buffers;
import ai.vq4j.nn.Conv2d;
import ai.vq4j.nn.ConvTranspose2d;
import ai.vq4j.nn.Layer;
import ai.vq4j.nn.Parameter;
import ai.vq4j.nn.Quantizer;
import ai.vq4j.nn.Relu;
import ai.vq4j.nn.ResidualStack;
import ai.vq4j.nn.Sequential;
import ai.vq4j.nn.GradientCodebookQuantizer;
import ai.vq4j.nn.EmaCodebookQuantizer;
import ai.vq4j.nn.FiniteScalarQuantizer;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A VQ-VAE (van den Oord et al. 2017): encoder CNN to a grid of D-vectors, nearest-codebook quantizer with a
 * straight-through gradient, decoder CNN back to the image. Images are NHWC float32 in [-0.5, 0.5] of
 * {@code imageSize} square; latents are {@code imageSize / downsample} square. Parameters are initialised from
 * {@code config.seed} in a fixed order, so the same config gives the same model.
 */
public final class VqVae implements AutoCloseable {
  private final VqVaeConfig config;
  private final Device device;
  private final Sequential encoder;
  private final Quantizer quantizer;
  private final Sequential decoder;
  private Tensor lookedUp;

  public VqVae(VqVaeConfig config, Device device) {
    this.config = config.copy().validate();
    this.device = device;
    Rng rng = new Rng(config.seed);
    int c = config.imageChannels;
    int h = config.hidden;
    List<Layer> enc = new ArrayList<>();
    List<Layer> dec = new ArrayList<>();
    if (config.stem) {
      enc.add(new Conv2d("encoder.conv1", device, rng, c, h / 2, 4, 2, 1));
      enc.add(new Relu(device));
      enc.add(new Conv2d("encoder.conv2", device, rng, h / 2, h, 4, 2, 1));
      addDownStages(enc, device, rng, config);
      enc.add(new Relu(device));
      enc.add(new Conv2d("encoder.conv3", device, rng, h, h, 3, 1, 1));
      enc.add(new ResidualStack("encoder.res", device, rng, h, config.residualHidden, config.residualBlocks, true));
      enc.add(new Conv2d("encoder.pre_vq", device, rng, h, config.embeddingDim, 1, 1, 0));
    } else {
      enc.add(new Conv2d("encoder.conv1", device, rng, c, h, 4, 2, 1));
      enc.add(new Relu(device));
      enc.add(new Conv2d("encoder.conv2", device, rng, h, h, 4, 2, 1));
      addDownStages(enc, device, rng, config);
      enc.add(new ResidualStack("encoder.res", device, rng, h, config.residualHidden, config.residualBlocks, false));
    }
    this.encoder = new Sequential(enc);
    encoder.setInputGradNeeded(false);
    Quantizer.Gradient gradient = Quantizer.Gradient.of(config.gradient);
    if (config.fsqLevels.length > 0) {
      this.quantizer = new FiniteScalarQuantizer("quantizer", device, config.fsqLevels);
    } else if (config.ema) {
      this.quantizer = new EmaCodebookQuantizer("quantizer", device, rng, config.numEmbeddings, config.embeddingDim,
          config.beta, config.emaDecay, config.emaEpsilon, config.deadCodeThreshold, gradient);
    } else {
      this.quantizer = new GradientCodebookQuantizer("quantizer", device, rng, config.numEmbeddings,
          config.embeddingDim, config.beta, config.deadCodeThreshold, gradient, config.l2Codes);
    }
    if (config.stem) {
      dec.add(new Conv2d("decoder.conv1", device, rng, config.embeddingDim, h, 3, 1, 1));
      dec.add(new ResidualStack("decoder.res", device, rng, h, config.residualHidden, config.residualBlocks, true));
      addUpStages(dec, device, rng, config);
      dec.add(new ConvTranspose2d("decoder.convt1", device, rng, h, h / 2, 4, 2, 1));
      dec.add(new Relu(device));
      dec.add(new ConvTranspose2d("decoder.convt2", device, rng, h / 2, c, 4, 2, 1));
    } else {
      dec.add(new ResidualStack("decoder.res", device, rng, h, config.residualHidden, config.residualBlocks, false));
      addUpStages(dec, device, rng, config);
      dec.add(new ConvTranspose2d("decoder.convt1", device, rng, h, h, 4, 2, 1));
      dec.add(new Relu(device));
      dec.add(new ConvTranspose2d("decoder.convt2", device, rng, h, c, 4, 2, 1));
    }
    this.decoder = new Sequential(dec);
  }

  /**
   * The encoder's stride-2 stages past conv2 (downsample 8 or 16): ReLU then a 4x4 conv hidden to hidden, so
   * that with none the net is exactly the 2-stage one older checkpoints hold.
   */
  private static void addDownStages(List<Layer> enc, Device device, Rng rng, VqVaeConfig config) {
    for (int i = 0; i < config.extraStages(); i++) {
      enc.add(new Relu(device));
      enc.add(new Conv2d("encoder.down." + i, device, rng, config.hidden, config.hidden, 4, 2, 1));
    }
  }

  /** The decoder's mirror of {@link #addDownStages}: a 4x4 transposed conv hidden to hidden, then ReLU. */
  private static void addUpStages(List<Layer> dec, Device device, Rng rng, VqVaeConfig config) {
    for (int i = 0; i < config.extraStages(); i++) {
      dec.add(new ConvTranspose2d("decoder.up." + i, device, rng, config.hidden, config.hidden, 4, 2, 1));
      dec.add(new Relu(device));
    }
  }

  public VqVaeConfig config() {
    return config.copy();
  }

  public Device device() {
    return device;
  }

  public Quantizer quantizer() {
    return quantizer;
  }

  /** Checks an image batch against the config: [N, imageSize, imageSize, imageChannels] on this device. */
  public void checkImages(String op, Tensor x) {
    int s = config.imageSize;
    int[] want = {x.rank() == 4 ? x.dim(0) : -1, s, s, config.imageChannels};
    if (x.rank() != 4 || !Arrays.equals(x.shape(), want) || x.dtype() != DType.FLOAT32) {
      throw new IllegalArgumentException(op + ": images must be float32[N, " + s + ", " + s + ", "
          + config.imageChannels + "], got " + x.describe());
    }
    if (x.device() != device) {
      throw new IllegalArgumentException(op + ": images are on " + x.device() + ", the model on " + device);
    }
  }

  /** z_e[N, h, w, D] for images x (owned by the encoder). */
  public Tensor encode(Tensor x) {
    checkImages("encode", x);
    return encoder.forward(x);
  }

  /**
   * The reconstruction of x: encode, quantize (in training also the quantizer's update), decode. The codes
   * are then in {@code quantizer().codes()}.
   */
  public Tensor forward(Tensor x, boolean training) {
    Tensor zE = encode(x);
    Tensor zQ = quantizer.forward(zE, training);
    return decoder.forward(zQ);
  }

  /** Backpropagates the gradient of the loss with respect to the reconstruction through the whole model. */
  public void backward(Tensor dRecon) {
    Tensor dzQ = decoder.backward(dRecon);
    Tensor dzE = quantizer.backward(dzQ);
    Parameter.gradsReady(List.of(quantizer.codebook()));
    encoder.backward(dzE);
  }

  /**
   * Images for codes int32[N, h, w]: the codebook rows (l2-normalised with l2 codes), through the decoder
   * (owned by the decoder).
   */
  public Tensor decodeCodes(Tensor codes) {
    int s = config.latentSize();
    if (codes.rank() != 3 || codes.dim(1) != s || codes.dim(2) != s || codes.dtype() != DType.INT32) {
      throw new IllegalArgumentException("decode: codes must be int32[N, " + s + ", " + s + "], got "
          + codes.describe());
    }
    lookedUp = Buffers.ensure(lookedUp, device, codes.dim(0), s, s, config.embeddingDim);
    Ops.embeddingForward(quantizer.codebook().value(), codes, lookedUp);
    if (quantizer.l2Codes()) {
      // The forward decodes the normalised rows it looked up; so must this.
      Ops.l2NormalizeForward(lookedUp, lookedUp);
    }
    return decoder.forward(lookedUp);
  }

  /** Every parameter, the codebook included (trainable or not), in a fixed order with unique names. */
  public List<Parameter> parameters() {
    List<Parameter> out = new ArrayList<>(encoder.parameters());
    out.add(quantizer.codebook());
    out.addAll(decoder.parameters());
    return Collections.unmodifiableList(out);
  }

  public long parameterCount() {
    return Parameter.count(parameters());
  }

  @Override
  public void close() {
    encoder.close();
    quantizer.close();
    decoder.close();
    if (lookedUp != null) {
      lookedUp.close();
    }
  }
}
