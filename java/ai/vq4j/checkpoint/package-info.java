/**
 * The files trained models live in, readable without the training package: VQ-VAE and prior checkpoints (the
 * model part; training checkpoints add their state on top) and code files (datasets encoded to codes).
 */
package ai.vq4j.checkpoint;
