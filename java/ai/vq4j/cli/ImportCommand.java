package ai.vq4j.cli;

import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.model.VqVaeTorchFormat;
import ai.vq4j.tensor.Device;
import ai.vq4j.checkpoint.VqVaeCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "import", mixinStandardHelpOptions = true,
    description = {"Reads another framework's weights into a vq4j model checkpoint.",
        "--format pytorch: a safetensors state dict of examples/pytorch/vqvae.py's module (what",
        "export writes, or one trained in PyTorch); the model's shape comes from the file's",
        "model_config metadata, or from --config."})
final class ImportCommand implements Callable<Integer> {
  @Option(names = "--in", required = true, description = "the state dict to read")
  Path in;

  @Option(names = "--format", required = true, description = "pytorch")
  String format;

  @Option(names = "--config", description = "a VQ-VAE config JSON (vq4j's field names); overrides the file's")
  Path config;

  @Option(names = "--out", required = true, description = "the vq4j checkpoint to write")
  Path out;

  @Override
  public Integer call() throws IOException {
    checkFormat(format);
    VqVaeConfig shape;
    if (config != null) {
      try {
        shape = VqVaeConfig.fromJson(Files.readString(config));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--config " + config + ": " + e.getMessage(), e);
      }
    } else {
      shape = VqVaeTorchFormat.storedConfig(in);
      if (shape == null) {
        throw new IllegalArgumentException(in + " has no model_config metadata: give the model's shape with --config");
      }
    }
    try (VqVae model = VqVaeTorchFormat.read(in, shape, Device.CPU)) {
      VqVaeCheckpoint.saveModel(out, model);
      System.out.printf("imported %d parameters from %s into %s%n", model.parameterCount(), in, out);
    }
    return 0;
  }

  static void checkFormat(String format) {
    if (!format.equals("pytorch")) {
      throw new IllegalArgumentException("--format " + format + ": the only format is pytorch");
    }
  }
}
