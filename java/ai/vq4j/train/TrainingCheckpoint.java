package ai.vq4j.train;

import ai.vq4j.checkpoint.CheckpointFile;
import ai.vq4j.io.Safetensors;
import ai.vq4j.nn.Parameter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The training state a training checkpoint adds to a model checkpoint, for every model: the optimizer state
 * ({@code adam.m.<parameter>}, {@code adam.v.<parameter>}, metadata {@code adam_t}), the train config (JSON),
 * the step, the trainer's own state ({@link Trainer#state}) and the run's (the data loader's position, the
 * VQ-VAE a prior models). A checkpoint whose weights or optimizer state are not all finite is never written:
 * it could not be loaded, and it would replace the last good one.
 */
public final class TrainingCheckpoint {
  private final CheckpointFile fields;

  private TrainingCheckpoint(CheckpointFile fields) {
    this.fields = fields;
  }

  /**
   * Writes everything a resumed run needs to continue exactly (atomically: a temporary file, then a rename).
   * Non-finite weights or moments are a {@link CheckpointFile.NonFiniteException} naming the step and the
   * tensor, and the file is left as it was.
   */
  public static void save(Path file, Trainer<?> trainer, RunConfig config, Map<String, String> runState)
      throws IOException {
    Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>();
    Map<String, String> meta = new LinkedHashMap<>();
    try {
      trainer.putModel(tensors, meta);
      Adam adam = trainer.optimizer();
      for (Parameter p : adam.parameters()) {
        tensors.put("adam.m." + p.name(), CheckpointFile.entry("adam.m." + p.name(), adam.firstMoment(p)));
        tensors.put("adam.v." + p.name(), CheckpointFile.entry("adam.v." + p.name(), adam.secondMoment(p)));
      }
      meta.put("adam_t", Integer.toString(adam.steps()));
    } catch (CheckpointFile.NonFiniteException e) {
      throw new CheckpointFile.NonFiniteException("step " + trainer.steps() + ": " + e.getMessage() + "; " + file
          + " was not overwritten");
    }
    meta.put("train_config", config.toJson());
    meta.put("step", Long.toString(trainer.steps()));
    meta.putAll(trainer.state());
    meta.putAll(runState);
    try {
      new Safetensors(tensors, meta).write(file);
    } catch (IOException e) {
      throw new IOException(file + ": cannot write the checkpoint of step " + trainer.steps() + ": " + e, e);
    }
  }

  /** The training state of a model checkpoint; a checkpoint holding a model only is refused. */
  public static TrainingCheckpoint of(CheckpointFile fields) throws IOException {
    if (!fields.isTrainingCheckpoint()) {
      throw new IOException(fields.file() + ": holds the model only (no train_config, optimizer state or data"
          + " order): not a training checkpoint, so training cannot resume from it");
    }
    return new TrainingCheckpoint(fields);
  }

  public Path file() {
    return fields.file();
  }

  public long step() throws IOException {
    long step = fields.parseLong("step");
    if (step < 0) {
      throw new IOException(file() + ": metadata step = " + step + " is negative");
    }
    return step;
  }

  public String meta(String key) throws IOException {
    return fields.meta(key);
  }

  public CheckpointFile fields() {
    return fields;
  }

  /** The train config, parsed by the model's own reader (TrainConfig::fromJson, ...). */
  public <C extends RunConfig> C trainConfig(Function<String, C> parse) throws IOException {
    try {
      return parse.apply(fields.meta("train_config"));
    } catch (IllegalArgumentException e) {
      throw new IOException(file() + ": train_config: " + e.getMessage(), e);
    }
  }

  /** Puts the saved moments and step count into the optimizer of the checkpoint's model. */
  public void restoreOptimizer(Adam adam) throws IOException {
    for (Parameter p : adam.parameters()) {
      adam.firstMoment(p).copyFrom(fields.floats("adam.m." + p.name(), p.shape()));
      adam.secondMoment(p).copyFrom(fields.floats("adam.v." + p.name(), p.shape()));
    }
    long adamT = fields.parseLong("adam_t");
    if (adamT < 0 || adamT > Integer.MAX_VALUE) {
      throw new IOException(file() + ": metadata adam_t = " + adamT + " is out of range");
    }
    adam.restoreSteps((int) adamT);
  }
}
