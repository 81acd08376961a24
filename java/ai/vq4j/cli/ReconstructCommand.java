package ai.vq4j.cli;

import ai.vq4j.checkpoint.VqVaeCheckpoint;
import ai.vq4j.data.Dataset;
import ai.vq4j.eval.Pictures;
import ai.vq4j.model.VqVae;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "reconstruct", mixinStandardHelpOptions = true,
    description = "Writes a PNG of test images, each above its reconstruction.")
final class ReconstructCommand implements Callable<Integer> {
  @Option(names = "--checkpoint", required = true, description = "a VQ-VAE checkpoint")
  Path checkpoint;

  @Mixin
  DataOptions data;

  @Option(names = "--from", defaultValue = "0", description = "first test image (default: ${DEFAULT-VALUE})")
  int from;

  @Option(names = "--out", defaultValue = "reconstructions.png", description = "default: ${DEFAULT-VALUE}")
  Path out;

  @Mixin
  DeviceOption device;

  @Override
  public Integer call() throws IOException {
    OutputFile.checkNotFolder("--out", out);
    try (VqVae model = VqVaeCheckpoint.loadModel(checkpoint, device.get())) {
      Dataset test = data.load(model.config(), false);
      if (from < 0 || from >= test.size()) {
        throw new IllegalArgumentException("--from " + from + " is outside the " + test.size() + " test images");
      }
      Pictures.reconstructionGrid(model, test.subset(from, Math.min(test.size(), from + Pictures.GRID_IMAGES)), out);
      System.out.println("wrote " + out);
    }
    return 0;
  }
}
