package ai.vq4j.train;

import ai.vq4j.data.Datasets;
import ai.vq4j.data.ImageFiles;
import ai.vq4j.data.ImageSet;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.file.Path;

/** How a VQ-VAE is trained: the {@link RunConfig} fields and the data variance. */
public final class TrainConfig extends RunConfig {
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

  /**
   * The reconstruction term is MSE divided by this (Sonnet divides by the training-set pixel variance);
   * 0 means: measure it on the training set before training.
   */
  public double dataVariance = 0;

  /**
   * How a training set of image files (folder, emoji) is read: "auto" streams it from disk when loading it
   * would take more than half the Java heap, "memory" loads it, "stream" streams it (see ImageFiles.open).
   * Other sets are always loaded. Configs written before this field read as "auto".
   */
  public String dataLoading = "auto";

  /**
   * The learning rate over the run (LearningRateSchedule): "constant" (learningRate at every step) or "cosine"
   * (linear warm-up over warmupSteps to learningRate, then cosine decay to minLearningRate at the last step).
   * Configs written before these fields read as constant.
   */
  public String lrSchedule = "constant";
  public long warmupSteps = 0;
  public double minLearningRate = 0;
  /** The recipe preset that set the run's defaults ("" for none), e.g. "fashion-mnist". */
  public String recipe = "";

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
    if (dataLoading == null) {
      dataLoading = "auto";
    }
    if (lrSchedule == null) {
      lrSchedule = "constant";
    }
    if (recipe == null) {
      recipe = "";
    }
    try {
      schedule();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("train config fields lrSchedule, warmupSteps, minLearningRate: " + e.getMessage(),
          e);
    }
    if (!ImageFiles.LOADING.contains(dataLoading)) {
      throw new IllegalArgumentException("train config field dataLoading must be one of " + ImageFiles.LOADING
          + ", got '" + dataLoading + "'");
    }
    if (!(dataVariance >= 0) || Double.isInfinite(dataVariance)) {
      throw new IllegalArgumentException("train config field dataVariance must be finite and >= 0, got "
          + dataVariance);
    }
    return this;
  }

  /** The learning rate of each step: {@link #lrSchedule} over {@link #steps} steps, peaking at learningRate. */
  public LearningRateSchedule schedule() {
    return lrSchedule.equals("constant") ? LearningRateSchedule.constant(learningRate)
        : new LearningRateSchedule(lrSchedule, learningRate, warmupSteps, steps, minLearningRate);
  }

  /** The training split, loaded or streamed as {@link #dataLoading} says. */
  public ImageSet trainingImages(int imageSize, int channels) throws IOException {
    Path dir = dataDir == null || dataDir.isEmpty() ? null : Path.of(dataDir);
    return Datasets.forTraining(dataset, dir, imageSize, channels, dataLoading);
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
