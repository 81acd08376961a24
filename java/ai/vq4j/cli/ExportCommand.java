package ai.vq4j.cli;

import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeTorchFormat;
import ai.vq4j.tensor.Device;
import ai.vq4j.checkpoint.VqVaeCheckpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "export", mixinStandardHelpOptions = true,
    description = {"Writes a VQ-VAE checkpoint's model in another framework's format.",
        "--format pytorch: a safetensors state dict in PyTorch's layout and names, which",
        "examples/pytorch/vqvae.py loads with load_state_dict(safetensors.torch.load_file(...))."})
final class ExportCommand implements Callable<Integer> {
  @Option(names = "--checkpoint", required = true, description = "a VQ-VAE checkpoint (training or model-only)")
  Path checkpoint;

  @Option(names = "--format", required = true, description = "pytorch")
  String format;

  @Option(names = "--out", required = true, description = "the file to write")
  Path out;

  @Override
  public Integer call() throws IOException {
    ImportCommand.checkFormat(format);
    try (VqVae model = VqVaeCheckpoint.loadModel(checkpoint, Device.CPU)) {
      VqVaeTorchFormat.write(out, model);
      System.out.printf("exported %d parameters of %s as a PyTorch state dict: %s%n", model.parameterCount(),
          checkpoint, out);
    }
    return 0;
  }
}
