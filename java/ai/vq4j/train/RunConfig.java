package ai.vq4j.train;

import ai.vq4j.data.Dataset;
import ai.vq4j.data.Datasets;
import java.io.IOException;
import java.nio.file.Path;

/**
 * What every training run is told, whatever the model: its data, batch size, length, Adam's learning rate
 * and weight decay, seed, and how often it logs and checkpoints. Each model's train config extends it with
 * its own fields; a checkpoint stores the whole config as JSON so a resumed run continues the same run.
 */
public abstract class RunConfig {
  /** The image set (see Datasets.forModel) and its folder ("" for the default place). */
  public String dataset = "fashion-mnist";
  public String dataDir = "";
  public int batchSize = 32;
  public long steps = 1000;
  public double learningRate = 3e-4;
  public double weightDecay = 0;
  public long seed = 1;
  public int logEvery = 50;
  public int checkpointEvery = 500;

  /** Names the config in errors ("train config", "prior train config"). */
  protected abstract String kind();

  /** Checks the fields every run shares; subclasses check theirs and return themselves. */
  public RunConfig validate() {
    if (batchSize < 1) {
      throw new IllegalArgumentException(kind() + " field batchSize must be >= 1, got " + batchSize);
    }
    if (steps < 1) {
      throw new IllegalArgumentException(kind() + " field steps must be >= 1, got " + steps);
    }
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException(kind() + " field learningRate must be finite and > 0, got " + learningRate);
    }
    if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
      throw new IllegalArgumentException(kind() + " field weightDecay must be finite and >= 0, got " + weightDecay);
    }
    if (logEvery < 1 || checkpointEvery < 1) {
      throw new IllegalArgumentException(kind() + " fields logEvery and checkpointEvery must be >= 1");
    }
    return this;
  }

  /**
   * A split of the run's image set at the model's image size. The test split is loaded before training, so a
   * broken or too small test set fails the run at once instead of after training.
   */
  public Dataset images(int imageSize, int channels, boolean trainSplit) throws IOException {
    Path dir = dataDir == null || dataDir.isEmpty() ? null : Path.of(dataDir);
    Dataset d = Datasets.forModel(dataset, dir, trainSplit, imageSize, channels);
    if (!trainSplit && d.size() < 2) {
      throw new IllegalArgumentException("the test set " + d.name() + " has " + d.size() + " images: the evaluation"
          + " at the end needs at least 2 (or train with --no-eval)");
    }
    return d;
  }

  /** The config as JSON (what a checkpoint stores). */
  public abstract String toJson();
}
