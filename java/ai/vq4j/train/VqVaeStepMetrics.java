package ai.vq4j.train;

import com.google.gson.JsonObject;

/**
 * What one VQ-VAE training step measured: the total loss (reconstruction MSE over the data variance plus the
 * quantizer's weighted term), the reconstruction MSE in [-0.5, 0.5] pixel units, mean||z_e - z_q||^2,
 * the perplexity of code use in the batch, and the dead codes (usage EMA under the threshold) after any
 * restart, with how many were restarted.
 */
public record VqVaeStepMetrics(long step, double loss, double reconMse, double vqLoss, double perplexity,
    int deadCodes, int restarted) implements StepMetrics {
  @Override
  public void addTo(JsonObject o) {
    o.addProperty("loss", loss);
    o.addProperty("recon_mse", reconMse);
    o.addProperty("vq_loss", vqLoss);
    o.addProperty("perplexity", perplexity);
    o.addProperty("dead_codes", deadCodes);
    o.addProperty("restarted", restarted);
  }

  @Override
  public String progress() {
    return String.format("loss %.4f  mse %.5f  vq %.4f  perplexity %6.1f  dead %3d", loss, reconMse, vqLoss,
        perplexity, deadCodes);
  }
}
