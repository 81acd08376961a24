package ai.vq4j.model;

/**
 * The kinds of prior over a VQ-VAE's codes vq4j trains: the name a checkpoint records (metadata
 * {@code prior_model}) and the command line takes ({@code --model}), and how its config is read back.
 */
public enum PriorKind {
  PIXELCNN("pixelcnn", "Gated PixelCNN",
      "NHWC activations; conv weights [Co, kH, kW, Ci] (masked taps stored as zeros)") {
    @Override
    public PriorConfig parseConfig(String json) {
      return PixelCnnConfig.fromJson(json);
    }
  },
  TRANSFORMER("transformer", "Transformer", "activations [N, T, C]; linear weights [out, in] as PyTorch's") {
    @Override
    public PriorConfig parseConfig(String json) {
      return TransformerConfig.fromJson(json);
    }
  };

  private final String id;
  private final String title;
  private final String layout;

  PriorKind(String id, String title, String layout) {
    this.id = id;
    this.title = title;
    this.layout = layout;
  }

  /** The name in checkpoints and on the command line. */
  public String id() {
    return id;
  }

  /** The name in reports ("Gated PixelCNN", "Transformer"). */
  public String title() {
    return title;
  }

  /** The tensor layout a checkpoint of this kind records. */
  public String layout() {
    return layout;
  }

  /** The config of this kind from its JSON, validated. */
  public abstract PriorConfig parseConfig(String json);

  /** The kind named id; what names it in the error (an option, a file's field). */
  public static PriorKind of(String id, String what) {
    for (PriorKind k : values()) {
      if (k.id.equals(id)) {
        return k;
      }
    }
    throw new IllegalArgumentException(what + " must be pixelcnn or transformer, got '" + id + "'");
  }
}
