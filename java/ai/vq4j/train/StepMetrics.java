package ai.vq4j.train;

import com.google.gson.JsonObject;

/** What one training step of any model measured: its total loss, and the figures the log and progress show. */
public interface StepMetrics {
  long step();

  double loss();

  /** Adds this step's figures to its metrics log record (after "step"), in the order the log shows them. */
  void addTo(JsonObject record);

  /** The figures of the progress line. */
  String progress();
}
