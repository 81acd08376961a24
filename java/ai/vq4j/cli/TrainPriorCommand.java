package ai.vq4j.cli;

import ai.vq4j.dist.Communicator;
import ai.vq4j.model.PixelCnnConfig;
import ai.vq4j.train.PriorRun;
import ai.vq4j.train.PriorTrainConfig;
import ai.vq4j.train.Run;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "train-prior", mixinStandardHelpOptions = true,
    description = {"Trains a Gated PixelCNN prior over a VQ-VAE's codes.",
        "The training set's codes are cached in the output",
        "folder), then reports the test NLL in bits per code, the bits/dim bound with the learned prior beside the",
        "uniform one, and writes prior.safetensors, metrics.jsonl, eval.txt, loss.png and samples.png."})
final class TrainPriorCommand implements Callable<Integer> {
  @Option(names = "--vqvae", description = "the trained VQ-VAE checkpoint (required unless --resume)")
  Path vqvae;

  @Option(names = "--out", defaultValue = "runs/prior", description = "output folder (default: ${DEFAULT-VALUE})")
  Path out;

  @Mixin
  RunOptions opts;

  @Mixin
  DataOptions data;

  @Option(names = "--conditioned", description = "condition on the data set's class labels")
  boolean conditioned;

  @Option(names = "--steps", description = "total training steps (default: 2000; with --resume: the run's own)")
  Long steps;

  @Option(names = "--batch-size", defaultValue = "64", description = "per rank (default: ${DEFAULT-VALUE})")
  int batchSize;

  @Option(names = "--lr", description = "Adam learning rate (default: 1e-3; with --resume: the run's own)")
  Double lr;

  @Option(names = "--hidden", defaultValue = "64", description = "channels of each gated layer (default: ${DEFAULT-VALUE})")
  int hidden;

  @Option(names = "--layers", defaultValue = "8", description = "gated layers (default: ${DEFAULT-VALUE})")
  int layers;

  @Option(names = "--kernel", defaultValue = "3", description = "kernel size after the first layer (default: ${DEFAULT-VALUE})")
  int kernel;

  @Option(names = "--first-kernel", defaultValue = "5", description = "first layer's kernel size (default: ${DEFAULT-VALUE})")
  int firstKernel;

  @Option(names = "--output-hidden", defaultValue = "256", description = "width of the output head (default: ${DEFAULT-VALUE})")
  int outputHidden;

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
    PriorRun run = new PriorRun(out, comm.map(Communicator::device).orElseGet(device::get),
        DataParallelLaunch.progress(comm));
    comm.ifPresent(run::distribute);
    if (opts.resume) {
      RunOptions.refuseOnResume(spec);
      run.resume(new Run.Overrides(steps, lr), !opts.noEval);
      return 0;
    }
    if (vqvae == null) {
      throw new IllegalArgumentException("--vqvae is required to start a prior run");
    }
    PixelCnnConfig config = new PixelCnnConfig();
    config.hidden = hidden;
    config.layers = layers;
    config.kernelSize = kernel;
    config.firstKernelSize = firstKernel;
    config.outputHidden = outputHidden;
    config.seed = opts.seed;
    PriorTrainConfig train = new PriorTrainConfig();
    train.vqvae = vqvae.toString();
    train.dataset = data.data;
    train.dataDir = data.dataDir == null ? "" : data.dataDir.toString();
    train.conditioned = conditioned;
    train.steps = steps == null ? 2000 : steps;
    train.batchSize = batchSize;
    train.learningRate = lr != null ? lr : 1e-3;
    train.seed = opts.seed;
    train.logEvery = opts.logEvery;
    train.checkpointEvery = opts.checkpointEvery;
    run.start(config, train, !opts.noEval);
    return 0;
  }
}
