package ai.vq4j.cli;

import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.nn.FiniteScalarQuantizer;
import picocli.CommandLine.Option;

/** Which quantizer {@code train} builds (a picocli mixin); the choice is stored in the checkpoint's config. */
final class QuantizerOptions {
  private static final int[] DEFAULT_FSQ_LEVELS = {8, 5, 5, 5};

  @Option(names = "--quantizer", defaultValue = "plain",
      description = {"plain (codebook loss, paper eq. 3), ema (EMA codebook, appendix A.1) or fsq (finite scalar",
          "quantization, Mentzer et al. 2023: no codebook to learn) (default: ${DEFAULT-VALUE})"})
  String kind;

  @Option(names = "--rotation-trick",
      description = "pass the gradient through the quantizer by the rotation trick (Fifty et al. 2024) instead of "
          + "straight-through; with plain or ema")
  boolean rotationTrick;

  @Option(names = "--fsq-levels", split = ",",
      description = "levels per channel for --quantizer fsq; the code dimension is their count, K their product "
          + "(default: 8,5,5,5 = 1000 codes)")
  int[] fsqLevels;

  @Option(names = "--l2-codes",
      description = "factorised, l2-normalised codes (ViT-VQGAN): z_e and the codebook on the unit sphere, nearest "
          + "by cosine; pair with a small --code-dim (e.g. 8), the lookup dimension; with --quantizer plain")
  boolean l2Codes;

  @Option(names = "--kmeans-init", defaultValue = "0",
      description = "initialise the codebook by k-means++ and this many Lloyd iterations on the first batch's "
          + "encoder outputs instead of K random ones (default: ${DEFAULT-VALUE}: off)")
  int kmeansIterations;

  /** Sets the quantizer fields of config; ema is the older --ema flag, sizesGiven whether --codes/--code-dim were. */
  void apply(VqVaeConfig config, boolean ema, boolean sizesGiven) {
    if (ema && !kind.equals("plain") && !kind.equals("ema")) {
      throw new IllegalArgumentException("--ema is --quantizer ema; it does not combine with --quantizer " + kind);
    }
    if (fsqLevels != null && !kind.equals("fsq")) {
      throw new IllegalArgumentException("--fsq-levels needs --quantizer fsq");
    }
    config.gradient = rotationTrick ? "rotation" : "straight-through";
    if (kmeansIterations > 0 && !config.initCodebookFromData) {
      throw new IllegalArgumentException("--kmeans-init initialises the codebook from data: not with --no-data-init");
    }
    config.kmeansIterations = kmeansIterations;
    if (l2Codes && !kind.equals("plain")) {
      throw new IllegalArgumentException("--l2-codes needs --quantizer plain (the loss-trained codebook), not " + kind);
    }
    config.l2Codes = l2Codes;
    switch (kind) {
      case "plain":
      case "ema":
        config.ema = ema || kind.equals("ema");
        return;
      case "fsq": {
        if (rotationTrick) {
          throw new IllegalArgumentException("--rotation-trick needs a codebook (--quantizer plain or ema), not fsq");
        }
        if (kmeansIterations > 0) {
          throw new IllegalArgumentException("--kmeans-init needs a codebook (--quantizer plain or ema), not fsq");
        }
        if (sizesGiven) {
          throw new IllegalArgumentException("--codes and --code-dim follow from --fsq-levels with --quantizer fsq");
        }
        int[] levels = fsqLevels == null ? DEFAULT_FSQ_LEVELS.clone() : fsqLevels;
        config.fsqLevels = levels;
        config.embeddingDim = levels.length;
        config.numEmbeddings = FiniteScalarQuantizer.codeCount(levels);
        config.ema = false;
        config.initCodebookFromData = false;
        config.restartDeadCodes = false;
        return;
      }
      default:
        throw new IllegalArgumentException("--quantizer must be plain, ema or fsq, got " + kind);
    }
  }
}
