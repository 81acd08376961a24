package ai.vq4j.model;

import ai.vq4j.nn.FiniteScalarQuantizer;
import ai.vq4j.nn.Quantizer;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.util.Arrays;

/**
 * The shape of a VQ-VAE and its quantizer. Plain fields so that it serialises to the JSON stored in every
 * checkpoint; {@link #validate()} names the first field that is out of range.
 *
 * <p>Two architectures: {@code stem = true} is the VQ-VAE example of DeepMind's Sonnet library (encoder:
 * conv 4x4 s2 to hidden/2, ReLU, conv 4x4 s2 to hidden, ReLU, conv 3x3, residual stack with a final ReLU,
 * 1x1 conv to D; decoder: conv 3x3 D to hidden, residual stack, transposed conv 4x4 s2 to hidden/2, ReLU,
 * transposed conv 4x4 s2 to the image channels). {@code stem = false} is the paper's CIFAR net (van den
 * Oord et al. 2017, section 4.1): two convs 4x4 s2 with all layers {@code hidden} wide, then the residual
 * blocks, whose output is z_e (so D must equal hidden); the decoder is the residual blocks then two
 * transposed convs 4x4 s2.
 */
public final class VqVaeConfig {
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

  public String preset = "custom";
  public int imageChannels = 1;
  public int imageSize = 32;
  /**
   * The side of the image over the side of the latent grid: 4, 8 or 16, that is 2, 3 or 4 stride-2 stages in
   * the encoder and as many in the decoder. The stages past the first two are 4x4 convs hidden to hidden
   * ({@code encoder.down.i}, {@code decoder.up.i}). Checkpoints written before this field read as 4.
   */
  public int downsample = 4;
  public int hidden = 128;
  public int residualHidden = 32;
  public int residualBlocks = 2;
  public boolean stem = true;
  public int embeddingDim = 64;
  public int numEmbeddings = 512;
  public float beta = 0.25f;
  public boolean ema = false;
  public float emaDecay = 0.99f;
  public float emaEpsilon = 1e-5f;
  /**
   * A code whose usage EMA (its average count per batch, decay 0.99, starting at 1) falls under this is
   * dead, and restarted when restarts are on. 1 is Jukebox's choice: a code that does not keep about one
   * vector per batch takes a fresh encoder output.
   */
  public float deadCodeThreshold = 1f;
  public boolean restartDeadCodes = true;
  /** Codebook from K random encoder outputs of the first training batch. */
  public boolean initCodebookFromData = true;
  /**
   * With initCodebookFromData: 0 takes K random encoder outputs; n > 0 runs k-means++ seeding and n Lloyd
   * iterations on them instead (deterministic for the seed).
   */
  public int kmeansIterations = 0;
  /**
   * How the gradient passes the quantizer: "straight-through" (the paper) or "rotation" (the rotation trick,
   * Fifty et al. 2024). Checkpoints written before this field read as straight-through.
   */
  public String gradient = "straight-through";
  /**
   * Non-empty: finite scalar quantization (Mentzer et al. 2023) with these level counts in place of the
   * codebook; then embeddingDim must be their count and numEmbeddings their product, and there is no EMA,
   * codebook init or restart.
   */
  public int[] fsqLevels = new int[0];
  /**
   * Factorised, l2-normalised codes (ViT-VQGAN, Yu et al. 2021): z_e and the codebook are l2-normalised
   * before the lookup (nearest by cosine). The factorisation is the encoder's 1x1 projection to a small
   * embeddingDim (e.g. 8) and the decoder's first conv back from it. Loss-trained codebook only.
   */
  public boolean l2Codes = false;
  public long seed = 1;

  /** Sonnet's VQ-VAE example: 128 hidden, 32 residual hidden, 2 residual blocks, D = 64, K = 512. */
  public static VqVaeConfig sonnet(int imageChannels) {
    VqVaeConfig c = new VqVaeConfig();
    c.preset = "sonnet";
    c.imageChannels = imageChannels;
    return c;
  }

  /** The paper's CIFAR-10 net: 256 channels everywhere, 2 residual blocks, D = 256, K = 512. */
  public static VqVaeConfig paper(int imageChannels) {
    VqVaeConfig c = new VqVaeConfig();
    c.preset = "paper";
    c.imageChannels = imageChannels;
    c.hidden = 256;
    c.residualHidden = 256;
    c.residualBlocks = 2;
    c.stem = false;
    c.embeddingDim = 256;
    c.numEmbeddings = 512;
    return c;
  }

  /** The named preset: "sonnet" or "paper". */
  public static VqVaeConfig preset(String name, int imageChannels) {
    switch (name) {
      case "sonnet": return sonnet(imageChannels);
      case "paper": return paper(imageChannels);
      default: throw new IllegalArgumentException("unknown preset '" + name + "' (known: sonnet, paper)");
    }
  }

  /** Latent grid side: the image side over the downsampling factor. */
  public int latentSize() {
    return imageSize / downsample;
  }

  /** The stride-2 stages past the first two (the encoder's down convs, the decoder's up convs). */
  public int extraStages() {
    return Integer.numberOfTrailingZeros(downsample) - 2;
  }

  /**
   * Checks every field, with upper bounds far above any useful net but low enough that a config from a
   * hostile or damaged file cannot make the model's constructor allocate gigabytes before the tensors are
   * compared.
   */
  public VqVaeConfig validate() {
    range("imageChannels", imageChannels, 1, 4);
    range("hidden", hidden, 1, 1024);
    range("residualHidden", residualHidden, 1, 1024);
    range("residualBlocks", residualBlocks, 0, 16);
    range("embeddingDim", embeddingDim, 1, 1024);
    range("numEmbeddings", numEmbeddings, 1, 65536);
    if (downsample != 4 && downsample != 8 && downsample != 16) {
      throw new IllegalArgumentException("config field downsample must be 4, 8 or 16 (2, 3 or 4 stride-2 stages), got "
          + downsample);
    }
    if (imageSize < downsample || imageSize > 1024 || imageSize % downsample != 0) {
      throw new IllegalArgumentException("config field imageSize must be a multiple of the downsampling factor "
          + downsample + " in " + downsample + "..1024, got " + imageSize);
    }
    if (stem && hidden % 2 != 0) {
      throw new IllegalArgumentException("config field hidden must be even with stem = true, got " + hidden);
    }
    if (!stem && embeddingDim != hidden) {
      throw new IllegalArgumentException("config field embeddingDim must equal hidden (" + hidden
          + ") with stem = false (the paper's net has no projection), got " + embeddingDim);
    }
    if (!(beta >= 0) || Float.isInfinite(beta)) {
      throw new IllegalArgumentException("config field beta must be finite and >= 0, got " + beta);
    }
    if (!(emaDecay > 0 && emaDecay < 1)) {
      throw new IllegalArgumentException("config field emaDecay must be in (0, 1), got " + emaDecay);
    }
    if (!(emaEpsilon > 0) || Float.isInfinite(emaEpsilon)) {
      throw new IllegalArgumentException("config field emaEpsilon must be finite and > 0, got " + emaEpsilon);
    }
    if (!(deadCodeThreshold >= 0) || Float.isInfinite(deadCodeThreshold)) {
      throw new IllegalArgumentException("config field deadCodeThreshold must be finite and >= 0, got "
          + deadCodeThreshold);
    }
    Quantizer.Gradient.of(gradient);
    if (kmeansIterations < 0 || kmeansIterations > 1000) {
      throw new IllegalArgumentException("config field kmeansIterations must be in 0..1000, got " + kmeansIterations);
    }
    if (l2Codes && (ema || fsqLevels != null && fsqLevels.length > 0)) {
      throw new IllegalArgumentException("config field l2Codes needs the loss-trained codebook (ema false, no fsqLevels)");
    }
    if (fsqLevels == null) {
      fsqLevels = new int[0];
    }
    if (fsqLevels.length > 0) {
      String levels = Arrays.toString(fsqLevels);
      int k = FiniteScalarQuantizer.codeCount(fsqLevels);
      if (embeddingDim != fsqLevels.length || numEmbeddings != k) {
        throw new IllegalArgumentException("config fields embeddingDim and numEmbeddings must be " + fsqLevels.length
            + " and " + k + " with fsqLevels " + levels + ", got " + embeddingDim + " and " + numEmbeddings);
      }
      if (ema || initCodebookFromData || restartDeadCodes || !gradient.equals("straight-through")) {
        throw new IllegalArgumentException("config fields ema, initCodebookFromData, restartDeadCodes must be false"
            + " and gradient straight-through with fsqLevels " + levels + " (FSQ has no codebook to learn)");
      }
    }
    if (parameterCount() > MAX_PARAMETERS) {
      throw new IllegalArgumentException("config gives " + parameterCount() + " parameters, more than the "
          + MAX_PARAMETERS + " vq4j builds");
    }
    return this;
  }

  /** Parameters a model may have: 256 MB of float32, some 50 times the paper's net. */
  public static final long MAX_PARAMETERS = 1L << 26;

  /**
   * The number of parameters {@link VqVae} builds for this config (the codebook included), computed without
   * building it, so that a checkpoint's tensors can be counted against it first. CheckpointShapesTest checks it
   * against the built model.
   */
  public long parameterCount() {
    long c = imageChannels;
    long h = hidden;
    long d = embeddingDim;
    long res = residualBlocks * (conv(h, residualHidden, 3) + conv(residualHidden, h, 1));
    long codebook = (long) numEmbeddings * d;
    long extra = 2L * extraStages() * conv(h, h, 4);
    if (stem) {
      return conv(c, h / 2, 4) + conv(h / 2, h, 4) + conv(h, h, 3) + res + conv(h, d, 1) + codebook
          + conv(d, h, 3) + res + conv(h, h / 2, 4) + conv(h / 2, c, 4) + extra;
    }
    return conv(c, h, 4) + conv(h, h, 4) + res + codebook + res + conv(h, h, 4) + conv(h, c, 4) + extra;
  }

  /** Weights and bias of a k x k conv (or transposed conv) from ci to co channels. */
  static long conv(long ci, long co, long k) {
    return co * k * k * ci + co;
  }

  private static void range(String field, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException("config field " + field + " must be in " + min + ".." + max + ", got " + value);
    }
  }

  public String toJson() {
    return GSON.toJson(this);
  }

  /** Parses and validates; a malformed document names what is wrong. */
  public static VqVaeConfig fromJson(String json) {
    VqVaeConfig c;
    try {
      c = GSON.fromJson(json, VqVaeConfig.class);
    } catch (JsonParseException e) {
      throw new IllegalArgumentException("VQ-VAE config is not valid JSON: " + e.getMessage(), e);
    }
    if (c == null) {
      throw new IllegalArgumentException("VQ-VAE config is empty");
    }
    return c.validate();
  }

  public VqVaeConfig copy() {
    return fromJson(toJson());
  }
}
