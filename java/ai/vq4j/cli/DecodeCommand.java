package ai.vq4j.cli;

import ai.vq4j.checkpoint.CodeDataset;
import ai.vq4j.checkpoint.VqVaeCheckpoint;
import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.tensor.Tensor;
import ai.vq4j.viz.ImageGrid;
import ai.vq4j.viz.Png;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "decode", mixinStandardHelpOptions = true,
    description = "Decodes code grids (from encode or sample) to images: a PNG grid.")
final class DecodeCommand implements Callable<Integer> {
  @Option(names = "--checkpoint", required = true, description = "the VQ-VAE checkpoint the codes belong to")
  Path checkpoint;

  @Option(names = "--codes", required = true, description = "a code file")
  Path codesFile;

  @Option(names = "--limit", defaultValue = "64", description = "decode the first N grids (default: ${DEFAULT-VALUE})")
  int limit;

  @Option(names = "--columns", defaultValue = "8", description = "default: ${DEFAULT-VALUE}")
  int columns;

  @Option(names = "--out", defaultValue = "decoded/decoded.png", description = "default: ${DEFAULT-VALUE}")
  Path out;

  @Mixin
  DeviceOption device;

  @Override
  public Integer call() throws IOException {
    if (limit < 1 || columns < 1) {
      throw new IllegalArgumentException("--limit and --columns must be >= 1");
    }
    OutputFile.checkNotFolder("--out", out);
    CodeDataset codes = CodeDataset.load(codesFile, checkpoint);
    try (VqVae model = VqVaeCheckpoint.loadModel(checkpoint, device.get())) {
      VqVaeConfig c = model.config();
      if (codes.gridSize() != c.latentSize() || codes.numCodes() != c.numEmbeddings) {
        throw new IllegalArgumentException(codesFile + ": " + codes.gridSize() + "x" + codes.gridSize()
            + " grids over " + codes.numCodes() + " codes, the model takes " + c.latentSize() + "x" + c.latentSize()
            + " over " + c.numEmbeddings);
      }
      int n = Math.min(limit, codes.count());
      int g = codes.gridSize();
      float[] images;
      try (Tensor grid = Tensor.ofInts(model.device(), Arrays.copyOf(codes.codes(), n * g * g), n, g, g)) {
        images = model.decodeCodes(grid).toFloatArray();
      }
      Png.write(ImageGrid.defaults().withColumns(columns).withScale(2)
          .render(images, n, c.imageSize, c.imageSize, c.imageChannels), out);
      System.out.printf("decoded %d code grids to %s%n", n, out);
    }
    return 0;
  }
}
