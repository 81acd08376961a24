package ai.vq4j.train;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;

/** How a prior (either kind) is trained: the {@link RunConfig} fields, the VQ-VAE and its codes, conditioning. */
public final class PriorTrainConfig extends RunConfig {
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

  /** The code cache (see {@link ai.vq4j.checkpoint.CodeDataset}) the prior is trained on. */
  public String codes = "";
  /** The VQ-VAE checkpoint whose codes those are. */
  public String vqvae = "";
  /** Condition on the set's class labels. */
  public boolean conditioned = false;

  public PriorTrainConfig() {
    steps = 10000;
    logEvery = 100;
    checkpointEvery = 1000;
  }

  @Override
  protected String kind() {
    return "prior train config";
  }

  @Override
  public PriorTrainConfig validate() {
    super.validate();
    return this;
  }

  @Override
  public String toJson() {
    return GSON.toJson(this);
  }

  public static PriorTrainConfig fromJson(String json) {
    PriorTrainConfig c;
    try {
      c = GSON.fromJson(json, PriorTrainConfig.class);
    } catch (JsonParseException e) {
      throw new IllegalArgumentException("prior train config is not valid JSON: " + e.getMessage(), e);
    }
    if (c == null) {
      throw new IllegalArgumentException("prior train config is empty");
    }
    return c.validate();
  }
}
