package ai.vq4j.cli;

/**
 * {@code --preset fashion-mnist}: our recommended recipe for Fashion-MNIST, on Sonnet's net. Each value is a
 * compile-time constant so that {@code train --help} prints exactly what the preset sets; the run records them
 * (the quantizer in the model config, the rest and the preset's name in the train config).
 *
 * <p>Why these, from the 3,000-step quality table (bench/RESULTS.md): FSQ led every codebook option there (the
 * rotation trick and k-means initialisation, alone or with EMA, did not beat plain VQ on this net), and its
 * PSNR grew with the number of codes: 23.28 dB at 8,5,5,5 (1,000 codes, all used), 23.72 dB at 7,5,5,5,5
 * (4,375, 96 % used), 24.10 dB at 8,8,8,5,5 (12,800, 82 % used). The recipe must keep every code in use, so it
 * takes the largest of them that did, 8,5,5,5, and spends the 30 minutes on steps instead. Warm-up
 * keeps Adam's first, badly estimated steps small at a peak rate above the 3e-4 of the constant default, and
 * the cosine decay lets the last steps settle. The step count is what 30 minutes on the quiet 2-core machine
 * allow at batch 32 (about 29 steps/s); the decay is laid over it, so a run cut short earlier by --time-limit
 * stops at a higher rate.
 */
final class FashionMnistRecipe {
  static final String NAME = "fashion-mnist";
  static final String QUANTIZER = "fsq";
  static final String FSQ_LEVELS = "8,5,5,5";
  static final int BATCH_SIZE = 32;
  static final String PEAK_LR = "6e-4";
  static final long WARMUP_STEPS = 500;
  static final String MIN_LR = "6e-6";
  static final long STEPS = 50000;

  /** What --help says the preset sets. */
  static final String HELP = NAME + ": the sonnet net with --quantizer " + QUANTIZER + " --fsq-levels " + FSQ_LEVELS
      + " --batch-size " + BATCH_SIZE + " --lr " + PEAK_LR + " --lr-schedule cosine --warmup-steps " + WARMUP_STEPS
      + " --min-lr " + MIN_LR + " --steps " + STEPS + " (options given beside it win)";

  static int[] fsqLevels() {
    return java.util.Arrays.stream(FSQ_LEVELS.split(",")).mapToInt(Integer::parseInt).toArray();
  }

  private FashionMnistRecipe() {}
}
