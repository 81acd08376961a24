package ai.vq4j.cli;

import ai.vq4j.model.PixelCnnPrior;
import ai.vq4j.model.PixelCnnSampler;
import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.tensor.Tensor;
import ai.vq4j.train.Checkpoint;
import ai.vq4j.train.CodeDataset;
import ai.vq4j.train.PriorCheckpoint;
import ai.vq4j.viz.ImageGrid;
import ai.vq4j.viz.Png;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "sample", mixinStandardHelpOptions = true,
    description = {"Draws samples from a PixelCNN prior and decodes them.",
        "Code grids are drawn seeded, with a temperature and, when conditioned, a",
        "class label; the decoded images are written as a PNG grid; --codes-out also keeps the grids."})
final class SampleCommand implements Callable<Integer> {
  /** Samples per call: their decoded images are held at once and drawn into one PNG. */
  static final int MAX_SAMPLES = 10_000;

  @Option(names = "--prior", required = true, description = "a prior checkpoint (prior.safetensors)")
  Path priorFile;

  @Option(names = "--vqvae", description = "the VQ-VAE checkpoint (default: the one the prior was trained on)")
  Path vqvae;

  @Option(names = "-n", defaultValue = "64", description = "how many samples (default: ${DEFAULT-VALUE})")
  int n;

  @Option(names = "--seed", defaultValue = "1", description = "default: ${DEFAULT-VALUE}")
  long seed;

  @Option(names = "--temperature", defaultValue = "1.0", description = "default: ${DEFAULT-VALUE}")
  double temperature;

  @Option(names = "--label", description = "class of every sample (conditioned priors; default: cycle through all)")
  Integer label;

  @Option(names = "--method", defaultValue = "fast", description = "fast or plain (the same samples; default: ${DEFAULT-VALUE})")
  String method;

  @Option(names = "--columns", defaultValue = "10", description = "default: ${DEFAULT-VALUE}")
  int columns;

  @Option(names = "--out", defaultValue = "samples.png", description = "default: ${DEFAULT-VALUE}")
  Path out;

  @Option(names = "--codes-out", description = "also write the sampled code grids (a code file, as encode writes)")
  Path codesOut;

  @Mixin
  DeviceOption device;

  @Override
  public Integer call() throws IOException {
    if (n < 1 || n > MAX_SAMPLES || columns < 1) {
      throw new IllegalArgumentException("-n must be in 1.." + MAX_SAMPLES + " (the samples become one PNG grid)"
          + " and --columns >= 1, got -n " + n + " --columns " + columns);
    }
    if (!(temperature > 0)) {
      throw new IllegalArgumentException("--temperature must be > 0, got " + temperature);
    }
    PixelCnnSampler.Method m = switch (method) {
      case "fast" -> PixelCnnSampler.Method.FAST;
      case "plain" -> PixelCnnSampler.Method.PLAIN;
      default -> throw new IllegalArgumentException("--method must be fast or plain, got " + method);
    };
    PriorCheckpoint ck = PriorCheckpoint.read(priorFile);
    Path vae = vqvae != null ? vqvae : Path.of(ck.source().checkpoint());
    try (PixelCnnPrior prior = ck.model(device.get()); VqVae model = Checkpoint.loadModel(vae, device.get())) {
      int classes = prior.config().numClasses;
      int[] labels = null;
      if (classes > 0) {
        labels = new int[n];
        for (int i = 0; i < n; i++) {
          labels[i] = label != null ? label : i % classes;
        }
      } else if (label != null) {
        throw new IllegalArgumentException("--label: " + priorFile + " is not class-conditioned");
      }
      long t0 = System.nanoTime();
      int[] codes;
      try (Tensor grids = new PixelCnnSampler(prior).sample(n, labels, temperature, seed, m)) {
        codes = grids.toIntArray();
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      VqVaeConfig c = model.config();
      int g = c.latentSize();
      float[] images;
      try (Tensor grids = Tensor.ofInts(model.device(), codes, n, g, g)) {
        images = model.decodeCodes(grids).toFloatArray();
      }
      Png.write(ImageGrid.defaults().withColumns(columns).withScale(2)
          .render(images, n, c.imageSize, c.imageSize, c.imageChannels), out);
      System.out.printf("sampled %d code grids in %.2f s (%s), wrote %s%n", n, seconds, method, out);
      if (codesOut != null) {
        new CodeDataset(codes, labels, n, g, c.numEmbeddings, CodeDataset.Source.of(vae)).save(codesOut);
        System.out.println("wrote " + codesOut);
      }
    }
    return 0;
  }
}
