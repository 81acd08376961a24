package ai.vq4j.model;

import ai.vq4j.tensor.Device;
import java.util.List;

/**
 * The shape of a decoder-only Transformer prior over a VQ-VAE's code grid in raster order (the codes, classes and
 * seed are {@link BasePriorConfig}'s). Plain fields so that it serialises to JSON; {@link #validate()} names the
 * first field out of range. Class labels, when numClasses > 0, make the first token the class label's.
 *
 * <p>The network: token embedding over K codes plus the first-position tokens (one start token, or one token
 * per class when conditioned: the class token is the sequence's first token), learned position embedding over
 * the gridSize^2 positions, {@code depth} pre-LayerNorm blocks (causal attention with {@code heads} heads over
 * {@code width} channels, GELU MLP of width mlpRatio * width), a final layer norm and a linear head to K logits.
 * In training, dropout with probability {@code dropout} on the embedded input and on each block's two residual
 * branches (GPT-2's places; the fused attention has no probability matrix to drop from).
 */
public final class TransformerConfig extends BasePriorConfig {
  private static final String NAME = "transformer config";
  private static final List<String> JSON_ORDER = List.of("numCodes", "gridSize", "width", "depth", "heads",
      "mlpRatio", "numClasses", "dropout", "seed");

  public int width = 256;
  public int depth = 8;
  public int heads = 8;
  public int mlpRatio = 4;
  /** In [0, 1): the probability an activation is dropped in training (0: none). */
  public double dropout = 0;

  /**
   * The "gpt-small" preset for a VQ-VAE's codes: width 256, 8 blocks of 8 heads (head dimension 32), MLP 4x,
   * about 6.6 M parameters with K = 512; the same shape serves 8x8 (64 positions) and 16x16 (256) grids.
   */
  public static TransformerConfig gptSmall(int numCodes, int gridSize, int numClasses) {
    TransformerConfig c = new TransformerConfig();
    c.fitCodes(numCodes, gridSize, numClasses);
    return c.validate();
  }

  @Override
  public PriorKind kind() {
    return PriorKind.TRANSFORMER;
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
    return depth + " blocks of width " + width + " (" + heads + " heads, MLP " + mlpRatio + "x), dropout " + dropout
        + ", " + length() + " positions";
  }

  @Override
  public TransformerPrior build(Device device) {
    return new TransformerPrior(this, device);
  }

  /**
   * The number of parameters {@link TransformerPrior} builds, without building it: token and position
   * embeddings, per block two layer norms, the four attention maps and the two MLP maps (with biases), the final
   * norm and the head.
   */
  @Override
  public long parameterCount() {
    long c = width;
    long m = (long) mlpRatio * width;
    long block = 2 * (2 * c) + 4 * (c * c + c) + (c * m + m) + (m * c + c);
    return (long) vocabulary() * c + (long) length() * c + depth * block + 2 * c + c * numCodes + numCodes;
  }

  /** Positions in a sequence: gridSize^2. */
  public int length() {
    return gridSize * gridSize;
  }

  /** Rows of the token embedding: K codes, then the start token or one token per class. */
  public int vocabulary() {
    return numCodes + Math.max(1, numClasses);
  }

  @Override
  public TransformerConfig validate() {
    range("numCodes", numCodes, 1, 65536);
    range("gridSize", gridSize, 1, 64);
    range("width", width, 1, 4096);
    range("depth", depth, 1, 96);
    range("heads", heads, 1, 128);
    range("mlpRatio", mlpRatio, 1, 16);
    range("numClasses", numClasses, 0, 65536);
    if (width % heads != 0) {
      throw new IllegalArgumentException(NAME + " field heads (" + heads + ") must divide width ("
          + width + ")");
    }
    range("width / heads", width / heads, 1, 128);
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException(NAME + " field dropout must be in [0, 1), got " + dropout);
    }
    if (parameterCount() > VqVaeConfig.MAX_PARAMETERS) {
      throw new IllegalArgumentException(NAME + " gives " + parameterCount() + " parameters, more than"
          + " the " + VqVaeConfig.MAX_PARAMETERS + " vq4j builds");
    }
    return this;
  }

  /** Parses and validates; a malformed document names what is wrong. */
  public static TransformerConfig fromJson(String json) {
    return parse(json, TransformerConfig.class, NAME);
  }

  public TransformerConfig copy() {
    return fromJson(toJson());
  }
}
