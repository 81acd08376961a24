package ai.vq4j.train;

/**
 * What one training step measured: the total loss (reconstruction MSE over the data variance plus the
 * quantizer's weighted term), the reconstruction MSE in [-0.5, 0.5] pixel units, mean||z_e - z_q||^2,
 * the perplexity of code use in the batch, and the dead codes (usage EMA under the threshold) after any
 * restart, with how many were restarted.
 */
public record StepMetrics(long step, double loss, double reconMse, double vqLoss, double perplexity, int deadCodes,
    int restarted) {}
