package ai.vq4j.train;

import com.google.gson.JsonObject;

/**
 * What one prior training step measured: the mean softmax cross-entropy of the batch's codes in nats per
 * code, and the same in bits per code (a uniform prior over K codes scores log2 K).
 */
public record PriorStepMetrics(long step, double loss, double bitsPerCode) implements StepMetrics {
  @Override
  public void addTo(JsonObject o) {
    o.addProperty("loss", loss);
    o.addProperty("bits_per_code", bitsPerCode);
  }

  @Override
  public String progress() {
    return String.format("loss %.4f nats  %.4f bits/code", loss, bitsPerCode);
  }
}
