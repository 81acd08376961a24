package ai.vq4j.cli;

import ai.vq4j.dist.Communicator;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.tensor.Device;
import ai.vq4j.train.Run;
import ai.vq4j.train.TrainConfig;
import ai.vq4j.train.VqVaeRun;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "train", mixinStandardHelpOptions = true,
    description = {"Trains a VQ-VAE.",
        "Writes checkpoint.safetensors, metrics.jsonl, eval.txt, code_usage.csv, code_usage.png,",
        "loss.png and reconstructions.png into the output folder. --resume continues the folder's run.",
        "eval.txt scores the data set's own pixels (28x28 for MNIST and Fashion-MNIST, padding cropped)",
        "first; padded-image figures follow, labelled."})
final class TrainCommand implements Callable<Integer> {
  @Option(names = "--out", defaultValue = "runs/vqvae", description = "output folder (default: ${DEFAULT-VALUE})")
  Path out;

  @Mixin
  RunOptions opts;

  @Option(names = "--preset", defaultValue = "sonnet",
      description = {"sonnet or paper (the net), or a recipe: the net and its training (default: ${DEFAULT-VALUE})",
          FashionMnistRecipe.HELP})
  String preset;

  @Mixin
  DataOptions data;

  @Option(names = "--image-size", paramLabel = "S",
      description = {"image side the model takes, a multiple of --downsample (default: 64 for emoji, else 32);",
          "folder and emoji images are scaled to cover it and centre-cropped; MNIST-sized sets are padded by at most",
          "4 pixels a side (28 -> 32), a size further from theirs is refused"})
  Integer imageSize;

  @Option(names = "--downsample", defaultValue = "4",
      description = "image side over latent side: 4, 8 or 16 (2, 3 or 4 stride-2 stages in encoder and decoder;"
          + " default: ${DEFAULT-VALUE})")
  int downsample;

  @Option(names = "--data-loading", defaultValue = "auto",
      description = {"for image files (folder, emoji): memory (decode all first), stream (decode batches from disk on",
          "background threads) or auto: stream when loading would take over half the Java heap, at 5 bytes a value",
          "(default: ${DEFAULT-VALUE})"})
  String dataLoading;

  @Option(names = "--steps", description = "total training steps (default: 3000; with --resume: the run's own)")
  Long steps;

  @Option(names = "--batch-size", description = "per rank (default: 32, or the preset's)")
  Integer batchSize;

  @Option(names = "--lr", description = "Adam learning rate, the peak of a schedule (default: 3e-4 for sonnet, 2e-4 for paper)")
  Double lr;

  @Option(names = "--lr-schedule",
      description = "constant, or cosine: linear warm-up over --warmup-steps to --lr, then cosine decay to --min-lr at"
          + " the last step (default: constant)")
  String lrSchedule;

  @Option(names = "--warmup-steps", description = "warm-up steps of --lr-schedule cosine (default: 0)")
  Long warmupSteps;

  @Option(names = "--min-lr", description = "the rate --lr-schedule cosine decays to (default: 0)")
  Double minLr;

  @Option(names = "--ema", description = "EMA codebook (gamma 0.99, Laplace eps 1e-5) instead of the codebook loss")
  boolean ema;

  @Mixin
  QuantizerOptions quantizer;

  @Option(names = "--beta", defaultValue = "0.25", description = "commitment weight (default: ${DEFAULT-VALUE})")
  float beta;

  @Option(names = "--codes", description = "codebook size K (default: the preset's)")
  Integer numCodes;

  @Option(names = "--code-dim", description = "code dimension D (default: the preset's)")
  Integer codeDim;

  @Option(names = "--hidden", description = "hidden channels (default: the preset's)")
  Integer hidden;

  @Option(names = "--residual-hidden", description = "residual block hidden channels (default: the preset's)")
  Integer residualHidden;

  @Option(names = "--dead-code-threshold", defaultValue = "1.0",
      description = "usage EMA under which a code is dead and restarted (default: ${DEFAULT-VALUE})")
  float deadThreshold;

  @Option(names = "--no-restart", description = "count dead codes but do not restart them")
  boolean noRestart;

  @Option(names = "--no-data-init", description = "random codebook instead of encoder outputs of the first batch")
  boolean noDataInit;

  @Mixin
  DeviceOption device;

  @Mixin
  DataParallelLaunch launch;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws IOException, InterruptedException {
    return launch.run(device, this::train);
  }

  private int train(Optional<Communicator> comm) throws IOException {
    Device d = comm.map(Communicator::device).orElseGet(device::get);
    VqVaeRun run = new VqVaeRun(out, d, DataParallelLaunch.progress(comm));
    comm.ifPresent(run::distribute);
    if (opts.timeLimit != null) {
      run.limitTime(opts.timeLimit);
    }
    if (opts.resume) {
      RunOptions.refuseOnResume(spec);
      run.resume(new Run.Overrides(steps, lr), !opts.noEval);
      return 0;
    }
    boolean recipe = preset.equals(FashionMnistRecipe.NAME);
    if (recipe) {
      applyRecipe();
    }
    VqVaeConfig config = VqVaeConfig.preset(recipe ? "sonnet" : preset, data.channels());
    config.imageSize = imageSize != null ? imageSize : data.defaultImageSize();
    config.downsample = downsample;
    if (downsample != 4 && downsample != 8 && downsample != 16) {
      throw new IllegalArgumentException("--downsample must be 4, 8 or 16 (2, 3 or 4 stride-2 stages), got "
          + downsample);
    }
    if (config.imageSize % downsample != 0) {
      throw new IllegalArgumentException("--image-size " + config.imageSize + " is not a multiple of --downsample "
          + downsample + " (the latent grid would not be whole)");
    }
    config.beta = beta;
    if (numCodes != null) {
      config.numEmbeddings = numCodes;
    }
    if (codeDim != null) {
      config.embeddingDim = codeDim;
    }
    if (hidden != null) {
      config.hidden = hidden;
    }
    if (residualHidden != null) {
      config.residualHidden = residualHidden;
    }
    config.deadCodeThreshold = deadThreshold;
    config.restartDeadCodes = !noRestart;
    config.initCodebookFromData = !noDataInit;
    quantizer.apply(config, ema, numCodes != null || codeDim != null);
    config.seed = opts.seed;
    TrainConfig train = new TrainConfig();
    train.dataset = data.data;
    train.dataDir = data.dataDir == null ? "" : data.dataDir.toString();
    train.dataLoading = dataLoading;
    train.steps = steps == null ? 3000 : steps;
    train.batchSize = batchSize == null ? 32 : batchSize;
    train.learningRate = lr != null ? lr : preset.equals("paper") ? 2e-4 : 3e-4;
    train.lrSchedule = lrSchedule == null ? "constant" : lrSchedule;
    train.warmupSteps = warmupSteps == null ? 0 : warmupSteps;
    train.minLearningRate = minLr == null ? 0 : minLr;
    train.recipe = recipe ? preset : "";
    train.seed = opts.seed;
    train.logEvery = opts.logEvery;
    train.checkpointEvery = opts.checkpointEvery;
    run.start(config, train, !opts.noEval);
    return 0;
  }

  /**
   * The recipe's values for every option not given: the training options one by one, the quantizer as a whole
   * (any quantizer option given, --codes and --code-dim included, replaces the recipe's FSQ: a codebook of that
   * size).
   */
  private void applyRecipe() {
    steps = steps != null ? steps : FashionMnistRecipe.STEPS;
    batchSize = batchSize != null ? batchSize : FashionMnistRecipe.BATCH_SIZE;
    lr = lr != null ? lr : Double.parseDouble(FashionMnistRecipe.PEAK_LR);
    lrSchedule = lrSchedule != null ? lrSchedule : "cosine";
    warmupSteps = warmupSteps != null ? warmupSteps : FashionMnistRecipe.WARMUP_STEPS;
    minLr = minLr != null ? minLr : Double.parseDouble(FashionMnistRecipe.MIN_LR);
    var parsed = spec.commandLine().getParseResult();
    boolean quantizerGiven = ema || java.util.stream.Stream.of("--quantizer", "--rotation-trick", "--kmeans-init",
        "--fsq-levels", "--l2-codes", "--codes", "--code-dim").anyMatch(parsed::hasMatchedOption);
    if (!quantizerGiven) {
      quantizer.kind = FashionMnistRecipe.QUANTIZER;
      quantizer.fsqLevels = FashionMnistRecipe.fsqLevels();
    }
  }
}
