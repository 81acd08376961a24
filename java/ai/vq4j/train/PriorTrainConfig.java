package ai.vq4j.train;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;

/** How a PixelCNN prior is trained; stored as JSON in each prior checkpoint so a resumed run continues the same run. */
public final class PriorTrainConfig {
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

  /** The code cache (see {@link CodeDataset}) the prior is trained on. */
  public String codes = "";
  /** The VQ-VAE checkpoint whose codes those are. */
  public String vqvae = "";
  /** The image set the codes were encoded from (see Datasets.forModel), so a missing cache can be rebuilt. */
  public String dataset = "fashion-mnist";
  public String dataDir = "";
  /** Condition on the set's class labels. */
  public boolean conditioned = false;
  public int batchSize = 32;
  public long steps = 10000;
  public double learningRate = 3e-4;
  public double weightDecay = 0;
  public long seed = 1;
  public int logEvery = 100;
  public int checkpointEvery = 1000;

  public PriorTrainConfig validate() {
    if (batchSize < 1) {
      throw new IllegalArgumentException("prior train config field batchSize must be >= 1, got " + batchSize);
    }
    if (steps < 1) {
      throw new IllegalArgumentException("prior train config field steps must be >= 1, got " + steps);
    }
    if (!(learningRate > 0)) {
      throw new IllegalArgumentException("prior train config field learningRate must be > 0, got " + learningRate);
    }
    if (!(weightDecay >= 0)) {
      throw new IllegalArgumentException("prior train config field weightDecay must be >= 0, got " + weightDecay);
    }
    if (logEvery < 1 || checkpointEvery < 1) {
      throw new IllegalArgumentException("prior train config fields logEvery and checkpointEvery must be >= 1");
    }
    return this;
  }

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
