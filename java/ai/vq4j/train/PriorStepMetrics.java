package ai.vq4j.train;

/**
 * What one prior training step measured: the mean softmax cross-entropy of the batch's codes in nats per
 * code, and the same in bits per code (a uniform prior over K codes scores log2 K).
 */
public record PriorStepMetrics(long step, double loss, double bitsPerCode) {}
