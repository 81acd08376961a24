/**
 * Training: one {@link ai.vq4j.train.Run} loop for every model (progress, metrics log, checkpoints, resume,
 * divergence, final evaluation), parameterised by the model's part ({@link ai.vq4j.train.VqVaeRun}, {@link
 * ai.vq4j.train.PriorRun}) and its {@link ai.vq4j.train.Trainer}; the {@link ai.vq4j.train.Adam} optimizer;
 * training checkpoints (a model checkpoint of {@code ai.vq4j.checkpoint} plus optimizer, step, RNG and data
 * order, the configs as JSON metadata) written atomically; and the metrics log. Loading a model for inference
 * needs nothing from here.
 */
package ai.vq4j.train;
