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

  @Option(names = "--preset", defaultValue = "sonnet", description = "sonnet or paper (default: ${DEFAULT-VALUE})")
  String preset;

  @Mixin
  DataOptions data;

  @Option(names = "--steps", description = "total training steps (default: 3000; with --resume: the run's own)")
  Long steps;

  @Option(names = "--batch-size", defaultValue = "32", description = "per rank (default: ${DEFAULT-VALUE})")
  int batchSize;

  @Option(names = "--lr", description = "Adam learning rate (default: 3e-4 for sonnet, 2e-4 for paper)")
  Double lr;

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
    int channels = data.data.equals("cifar10") || data.data.equals("folder") ? 3 : 1;
    VqVaeConfig config = VqVaeConfig.preset(preset, channels);
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
    train.steps = steps == null ? 3000 : steps;
    train.batchSize = batchSize;
    train.learningRate = lr != null ? lr : preset.equals("paper") ? 2e-4 : 3e-4;
    train.seed = opts.seed;
    train.logEvery = opts.logEvery;
    train.checkpointEvery = opts.checkpointEvery;
    run.start(config, train, !opts.noEval);
    return 0;
  }
}
