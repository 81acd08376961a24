package ai.vq4j.cli;

import ai.vq4j.data.Dataset;
import ai.vq4j.data.Datasets;
import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.train.Checkpoint;
import ai.vq4j.train.Reports;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "reconstruct", mixinStandardHelpOptions = true,
    description = "Writes a PNG of test images, each above its reconstruction.")
final class ReconstructCommand implements Callable<Integer> {
  @Option(names = "--checkpoint", required = true, description = "a VQ-VAE checkpoint")
  Path checkpoint;

  @Option(names = "--data", defaultValue = "fashion-mnist", description = "default: ${DEFAULT-VALUE}")
  String data;

  @Option(names = "--data-dir", description = "folder of the data set")
  Path dataDir;

  @Option(names = "--from", defaultValue = "0", description = "first test image (default: ${DEFAULT-VALUE})")
  int from;

  @Option(names = "--out", defaultValue = "reconstructions.png", description = "default: ${DEFAULT-VALUE}")
  Path out;

  @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE})")
  String device;

  @Override
  public Integer call() throws IOException {
    try (VqVae model = Checkpoint.loadModel(checkpoint, Main.device(device))) {
      VqVaeConfig c = model.config();
      Dataset test = Datasets.forModel(data, dataDir, false, c.imageSize, c.imageChannels);
      if (from < 0 || from >= test.size()) {
        throw new IllegalArgumentException("--from " + from + " is outside the " + test.size() + " test images");
      }
      Reports.reconstructionGrid(model, test.subset(from, Math.min(test.size(), from + Reports.GRID_IMAGES)), out);
      System.out.println("wrote " + out);
    }
    return 0;
  }
}
