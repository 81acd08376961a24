/**
 * Training: the {@link ai.vq4j.train.Adam} optimizer over native parameter tensors, the VQ-VAE trainer
 * with its per-step metrics, checkpoints in safetensors (weights, optimizer state, step and RNG state, the
 * configs as JSON metadata) written atomically, and the metric log.
 */
package ai.vq4j.train;
