package ai.vq4j.cli;

import ai.vq4j.checkpoint.VqVaeCheckpoint;
import ai.vq4j.data.Dataset;
import ai.vq4j.eval.Evaluation;
import ai.vq4j.eval.Pictures;
import ai.vq4j.model.VqVae;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "eval", mixinStandardHelpOptions = true,
    description = {"Evaluates a VQ-VAE on a whole test set.",
        "MSE, PSNR, perplexity, code usage and the",
        "uniform-prior bits/dim bound (discretised-Gaussian reconstruction NLL + N_latents ln K).",
        "MSE, PSNR and bits/dim are over the data set's own pixels (28x28 for MNIST and Fashion-MNIST,",
        "whose 32x32 padding is cropped; the whole image elsewhere); padded-image figures follow, labelled."})
final class EvalCommand implements Callable<Integer> {
  @Option(names = "--checkpoint", required = true, description = "a VQ-VAE checkpoint")
  Path checkpoint;

  @Mixin
  DataOptions data;

  @Option(names = "--split", defaultValue = "test", description = "test or train (default: ${DEFAULT-VALUE})")
  String split;

  @Option(names = "--batch-size", defaultValue = "64", description = "default: ${DEFAULT-VALUE}")
  int batchSize;

  @Option(names = "--usage-csv", description = "also write each code's count here")
  Path usageCsv;

  @Option(names = "--usage-png", description = "also plot the code usage histogram here")
  Path usagePng;

  @Mixin
  DeviceOption device;

  @Override
  public Integer call() throws IOException {
    if (usageCsv != null) {
      OutputFile.checkNotFolder("--usage-csv", usageCsv);
    }
    if (usagePng != null) {
      OutputFile.checkNotFolder("--usage-png", usagePng);
    }
    try (VqVae model = VqVaeCheckpoint.loadModel(checkpoint, device.get())) {
      Dataset set = data.load(model.config(), DataOptions.isTrain(split));
      Evaluation e = Evaluation.run(model, set, batchSize);
      System.out.printf("%s on %s%n", checkpoint, set.name());
      System.out.print(e.summary());
      if (usageCsv != null) {
        Pictures.usageCsv(e.codeCounts(), usageCsv);
      }
      if (usagePng != null) {
        Pictures.usageChart(e.codeCounts(), usagePng);
      }
    }
    return 0;
  }
}
