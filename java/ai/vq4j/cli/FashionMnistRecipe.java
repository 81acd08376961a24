package ai.vq4j.cli;

/**
 * {@code --preset fashion-mnist}: our recommended recipe for Fashion-MNIST, on Sonnet's net. Each value is a
 * compile-time constant so that {@code train --help} prints exactly what the preset sets; the run records them
 * (the quantizer in the model config, the rest and the preset's name in the train config).
 *
 * <p>Why these: the EMA codebook keeps every code in use without a codebook loss to balance; the rotation trick
 * (Fifty et al. 2024) carries the angle between z_e and z_q into the encoder's gradient, where straight-through
 * drops it; k-means initialisation starts the codebook on the data's clusters. Warm-up keeps Adam's first,
 * badly estimated steps small at a peak rate above the 3e-4 of the constant default, and the cosine decay lets
 * the last steps settle. The step count is what 30 minutes on the 2-core machine allow at batch 32 (about 14
 * steps/s); the decay is laid over it, so a run cut short earlier stops at a higher rate.
 */
final class FashionMnistRecipe {
  static final String NAME = "fashion-mnist";
  static final String QUANTIZER = "ema";
  static final boolean ROTATION_TRICK = true;
  static final int KMEANS_ITERATIONS = 10;
  static final int BATCH_SIZE = 32;
  static final String PEAK_LR = "6e-4";
  static final long WARMUP_STEPS = 500;
  static final String MIN_LR = "6e-6";
  static final long STEPS = 25000;

  /** What --help says the preset sets. */
  static final String HELP = NAME + ": the sonnet net with --quantizer " + QUANTIZER + " --rotation-trick --kmeans-init "
      + KMEANS_ITERATIONS + " --batch-size " + BATCH_SIZE + " --lr " + PEAK_LR + " --lr-schedule cosine --warmup-steps "
      + WARMUP_STEPS + " --min-lr " + MIN_LR + " --steps " + STEPS + " (options given beside it win)";

  private FashionMnistRecipe() {}
}
