package ai.vq4j.train;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;

/** How a VQ-VAE is trained; stored as JSON in each checkpoint so a resumed run continues the same run. */
public final class TrainConfig {
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

  public String dataset = "fashion-mnist";
  public String dataDir = "/usr/share/datasets/fashion-mnist";
  public int batchSize = 32;
  public long steps = 1000;
  public double learningRate = 3e-4;
  public double weightDecay = 0;
  /**
   * The reconstruction term is MSE divided by this (Sonnet divides by the training-set pixel variance);
   * 0 means: measure it on the training set before training.
   */
  public double dataVariance = 0;
  public long seed = 1;
  public int logEvery = 50;
  public int checkpointEvery = 500;

  public TrainConfig validate() {
    if (batchSize < 1) {
      throw new IllegalArgumentException("train config field batchSize must be >= 1, got " + batchSize);
    }
    if (steps < 1) {
      throw new IllegalArgumentException("train config field steps must be >= 1, got " + steps);
    }
    if (!(learningRate > 0)) {
      throw new IllegalArgumentException("train config field learningRate must be > 0, got " + learningRate);
    }
    if (!(dataVariance >= 0)) {
      throw new IllegalArgumentException("train config field dataVariance must be >= 0, got " + dataVariance);
    }
    if (logEvery < 1 || checkpointEvery < 1) {
      throw new IllegalArgumentException("train config fields logEvery and checkpointEvery must be >= 1");
    }
    return this;
  }

  public String toJson() {
    return GSON.toJson(this);
  }

  public static TrainConfig fromJson(String json) {
    TrainConfig c;
    try {
      c = GSON.fromJson(json, TrainConfig.class);
    } catch (JsonParseException e) {
      throw new IllegalArgumentException("train config is not valid JSON: " + e.getMessage(), e);
    }
    if (c == null) {
      throw new IllegalArgumentException("train config is empty");
    }
    return c.validate();
  }
}
