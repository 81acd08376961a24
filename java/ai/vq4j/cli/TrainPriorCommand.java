package ai.vq4j.cli;

import ai.vq4j.model.PixelCnnConfig;
import ai.vq4j.model.PriorConfig;
import ai.vq4j.model.PriorKind;
import ai.vq4j.model.TransformerConfig;
import ai.vq4j.tensor.Device;
import ai.vq4j.train.PriorRun;
import ai.vq4j.train.PriorTrainConfig;
import ai.vq4j.train.Run;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train-prior", mixinStandardHelpOptions = true,
    description = {"Trains a prior over a VQ-VAE's codes: a Gated PixelCNN or a Transformer (--model).",
        "The training set's codes are cached in the output",
        "folder; at the end it reports the test NLL in bits per code, the bits/dim bound with the learned prior beside the",
        "uniform one, and writes prior.safetensors, metrics.jsonl, eval.txt, loss.png and samples.png."})
final class TrainPriorCommand extends TrainingCommand<PriorConfig, PriorTrainConfig> {
  @Option(names = "--vqvae", description = "the trained VQ-VAE checkpoint (required unless --resume)")
  Path vqvae;

  @Option(names = "--out", defaultValue = "runs/prior", description = "output folder (default: ${DEFAULT-VALUE})")
  Path out;

  @Mixin
  DataOptions data;

  @Option(names = "--conditioned", description = "condition on the data set's class labels")
  boolean conditioned;

  @Option(names = "--steps", description = "total training steps (default: 2000; with --resume: the run's own)")
  Long steps;

  @Option(names = "--batch-size", defaultValue = "64", description = "per rank (default: ${DEFAULT-VALUE})")
  int batchSize;

  @Option(names = "--lr", description = "learning rate (default: 1e-3 for pixelcnn, 5e-4 for transformer; with"
      + " --resume: the run's own)")
  Double lr;

  @Option(names = "--model", defaultValue = "pixelcnn", description = "pixelcnn or transformer (default: ${DEFAULT-VALUE})")
  String model;

  @Option(names = "--weight-decay", description = "Adam's L2 term for pixelcnn (default 0); AdamW's decoupled decay of"
      + " the linear weights for transformer (default 0.1)")
  Double weightDecay;

  @Option(names = "--layers", description = "gated layers (pixelcnn, default 8) or blocks (transformer, default: the"
      + " preset's 8)")
  Integer layers;

  @Option(names = "--hidden", defaultValue = "64", description = "pixelcnn: channels of each gated layer (default: ${DEFAULT-VALUE})")
  int hidden;

  @Option(names = "--kernel", defaultValue = "3", description = "pixelcnn: kernel size after the first layer (default: ${DEFAULT-VALUE})")
  int kernel;

  @Option(names = "--first-kernel", defaultValue = "5", description = "pixelcnn: first layer's kernel size (default: ${DEFAULT-VALUE})")
  int firstKernel;

  @Option(names = "--output-hidden", defaultValue = "256", description = "pixelcnn: width of the output head (default: ${DEFAULT-VALUE})")
  int outputHidden;

  @Option(names = "--preset", defaultValue = "gpt-small", description = "transformer: the size the options below"
      + " change: gpt-small (width 256, 8 blocks, 8 heads, MLP 4x; default)")
  String preset;

  @Option(names = "--width", description = "transformer: channels of the residual stream")
  Integer width;

  @Option(names = "--heads", description = "transformer: attention heads (must divide --width)")
  Integer heads;

  @Option(names = "--mlp-ratio", description = "transformer: MLP width as a multiple of --width")
  Integer mlpRatio;

  @Option(names = "--dropout", defaultValue = "0", description = "transformer: dropout on the embedding and the"
      + " residual branches in training (default: ${DEFAULT-VALUE})")
  double dropout;

  /** The options that shape one kind of prior only, refused with the other. */
  private static final List<String> PIXELCNN_OPTIONS = List.of("--hidden", "--kernel", "--first-kernel",
      "--output-hidden");
  private static final List<String> TRANSFORMER_OPTIONS = List.of("--preset", "--width", "--heads", "--mlp-ratio",
      "--dropout");

  @Override
  PriorRun run(Device device, PrintStream progress) {
    return new PriorRun(out, device, progress);
  }

  @Override
  Run.Overrides overrides() {
    return new Run.Overrides(steps, lr);
  }

  @Override
  NewRun<PriorConfig, PriorTrainConfig> newRun() {
    if (vqvae == null) {
      throw new IllegalArgumentException("--vqvae is required to start a prior run");
    }
    PriorKind kind = PriorKind.of(model, "--model");
    refuseOptionsOf(kind == PriorKind.PIXELCNN ? PriorKind.TRANSFORMER : PriorKind.PIXELCNN,
        kind == PriorKind.PIXELCNN ? TRANSFORMER_OPTIONS : PIXELCNN_OPTIONS);
    PriorConfig config = kind == PriorKind.PIXELCNN ? pixelCnn() : transformer();
    PriorTrainConfig train = new PriorTrainConfig();
    train.vqvae = vqvae.toString();
    train.dataset = data.data;
    train.dataDir = data.dataDir == null ? "" : data.dataDir.toString();
    train.conditioned = conditioned;
    train.steps = steps == null ? 2000 : steps;
    train.batchSize = batchSize;
    train.learningRate = lr != null ? lr : kind == PriorKind.PIXELCNN ? 1e-3 : 5e-4;
    train.weightDecay = weightDecay != null ? weightDecay : kind == PriorKind.PIXELCNN ? 0 : 0.1;
    return new NewRun<>(config, train);
  }

  private PixelCnnConfig pixelCnn() {
    PixelCnnConfig c = new PixelCnnConfig();
    c.hidden = hidden;
    c.layers = layers != null ? layers : 8;
    c.kernelSize = kernel;
    c.firstKernelSize = firstKernel;
    c.outputHidden = outputHidden;
    c.seed = opts.seed;
    return c;
  }

  /** The preset, then the size options given; the codes it models are filled in from the VQ-VAE. */
  private TransformerConfig transformer() {
    if (!preset.equals("gpt-small")) {
      throw new IllegalArgumentException("--preset must be gpt-small, got '" + preset + "'");
    }
    TransformerConfig c = TransformerConfig.gptSmall(1, 1, 0);
    if (layers != null) {
      c.depth = layers;
    }
    if (width != null) {
      c.width = width;
    }
    if (heads != null) {
      c.heads = heads;
    }
    if (mlpRatio != null) {
      c.mlpRatio = mlpRatio;
    }
    c.dropout = dropout;
    c.seed = opts.seed;
    return c;
  }

  /** Options of the other kind of prior would be silently ignored: refused instead. */
  private void refuseOptionsOf(PriorKind other, List<String> options) {
    for (String o : options) {
      if (spec.commandLine().getParseResult().hasMatchedOption(o)) {
        throw new IllegalArgumentException(o + " shapes a " + other.id() + " prior; this run trains a " + model
            + " prior (--model)");
      }
    }
  }
}
