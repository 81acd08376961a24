package ai.vq4j.cli;

import ai.vq4j.checkpoint.CodeDataset;
import ai.vq4j.checkpoint.PriorCheckpoint;
import ai.vq4j.checkpoint.VqVaeCheckpoint;
import ai.vq4j.model.Prior;
import ai.vq4j.model.Sampling;
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

@Command(name = "sample", mixinStandardHelpOptions = true,
    description = {"Draws samples from a prior (PixelCNN or Transformer) and decodes them.",
        "Code grids are drawn seeded, with a temperature, top-k and top-p cuts and, when conditioned, a",
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

  @Option(names = "--top-k", defaultValue = "0", description = "draw from the k most likely codes only (0: all;"
      + " default: ${DEFAULT-VALUE})")
  int topK;

  @Option(names = "--top-p", defaultValue = "1.0", description = "draw from the fewest most likely codes whose"
      + " probability reaches p (1: all; default: ${DEFAULT-VALUE})")
  double topP;

  @Option(names = "--label", description = "class of every sample (conditioned priors; default: cycle through all)")
  Integer label;

  @Option(names = "--method", defaultValue = "fast", description = "fast (the PixelCNN's cached stacks, the"
      + " Transformer's key/value cache) or plain (the whole prefix again at every position): the same samples"
      + " (default: ${DEFAULT-VALUE})")
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
    Sampling sampling = new Sampling(temperature, topK, topP);
    if (!method.equals("fast") && !method.equals("plain")) {
      throw new IllegalArgumentException("--method must be fast or plain, got " + method);
    }
    OutputFile.checkNotFolder("--out", out);
    if (codesOut != null) {
      OutputFile.checkReplacesOnlyCodes("--codes-out", codesOut, priorFile, vqvae);
    }
    PriorCheckpoint ck = PriorCheckpoint.read(priorFile);
    CodeDataset.Source trainedOn = ck.source();
    if (vqvae == null && trainedOn == null) {
      throw new IllegalArgumentException(priorFile + " does not name the VQ-VAE it was trained on: pass --vqvae");
    }
    Path vae = vqvae != null ? vqvae : Path.of(trainedOn.checkpoint());
    // The codes mean something only to the VQ-VAE whose codes the prior learned: another checkpoint (or the same
    // file retrained since) decodes them to garbage without any error.
    CodeDataset.Source using = CodeDataset.Source.of(vae);
    if (trainedOn != null && !trainedOn.sha256().equals(using.sha256())) {
      throw new IllegalArgumentException(vae + " is not the VQ-VAE " + priorFile + " was trained on: its SHA-256 is "
          + using.sha256() + ", the prior's VQ-VAE " + trainedOn);
    }
    try (Prior prior = ck.model(device.get()); VqVae model = VqVaeCheckpoint.loadModel(vae, device.get())) {
      int classes = prior.config().numClasses();
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
      int[] codes = prior.sampleCodes(n, labels, sampling, seed, method.equals("fast"));
      double seconds = (System.nanoTime() - t0) / 1e9;
      VqVaeConfig c = model.config();
      int g = c.latentSize();
      float[] images;
      try (Tensor grids = Tensor.ofInts(model.device(), codes, n, g, g)) {
        images = model.decodeCodes(grids).toFloatArray();
      }
      Png.write(ImageGrid.defaults().withColumns(columns).withScale(2)
          .render(images, n, c.imageSize, c.imageSize, c.imageChannels), out);
      System.out.printf("sampled %d code grids in %.2f s (%s prior, %s), wrote %s%n", n, seconds, prior.kind().id(),
          method, out);
      if (codesOut != null) {
        new CodeDataset(codes, labels, n, g, c.numEmbeddings, using).save(codesOut);
        System.out.println("wrote " + codesOut);
      }
    }
    return 0;
  }
}
