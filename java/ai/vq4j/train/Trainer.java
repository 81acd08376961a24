package ai.vq4j.train;

import ai.vq4j.io.Safetensors;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * What a {@link Run} needs of a model's trainer: the model and its optimizer, the step count, the metrics of
 * queued steps (steps are queued without waiting for the device, their metrics read in one go), and what a
 * training checkpoint holds of it. How a step takes its batch is the model's business ({@link Run.Part}).
 */
public interface Trainer<M> extends AutoCloseable {
  M model();

  Adam optimizer();

  /** Steps taken so far. */
  long steps();

  /** The metrics of every step queued since the last drain, oldest first: one wait for the device. */
  List<? extends StepMetrics> drainMetrics();

  /** The model's tensors and metadata, as its model checkpoint holds them. */
  void putModel(Map<String, Safetensors.Entry> tensors, Map<String, String> meta);

  /** The trainer's own state besides the optimizer and the step count (RNG, data order), as metadata. */
  Map<String, String> state();

  /** Takes back the optimizer state, step count and {@link #state} of a training checkpoint of this model. */
  void restore(TrainingCheckpoint checkpoint) throws IOException;

  @Override
  void close();
}
