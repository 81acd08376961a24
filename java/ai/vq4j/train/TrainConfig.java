package ai.vq4j.train;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;

/** How a VQ-VAE is trained: the {@link RunConfig} fields and the data variance. */
public final class TrainConfig extends RunConfig {
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

  /**
   * The reconstruction term is MSE divided by this (Sonnet divides by the training-set pixel variance);
   * 0 means: measure it on the training set before training.
   */
  public double dataVariance = 0;

  public TrainConfig() {
    dataDir = "/usr/share/datasets/fashion-mnist";
  }

  @Override
  protected String kind() {
    return "train config";
  }

  @Override
  public TrainConfig validate() {
    super.validate();
    if (!(dataVariance >= 0) || Double.isInfinite(dataVariance)) {
      throw new IllegalArgumentException("train config field dataVariance must be finite and >= 0, got "
          + dataVariance);
    }
    return this;
  }

  @Override
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
