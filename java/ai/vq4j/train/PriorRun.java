package ai.vq4j.train;

import ai.vq4j.data.Dataset;
import ai.vq4j.data.Datasets;
import ai.vq4j.model.PixelCnnConfig;
import ai.vq4j.model.PixelCnnPrior;
import ai.vq4j.model.PixelCnnSampler;
import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import ai.vq4j.viz.ImageGrid;
import ai.vq4j.viz.Png;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;

/**
 * A whole prior training run in an output folder, as {@link VqVaeRun} is for the VQ-VAE: the training and
 * test sets encoded with the VQ-VAE (cached in {@code codes-train.safetensors} and {@code
 * codes-test.safetensors}, re-encoded when the checkpoint changed), the loop with progress and metrics log,
 * checkpoints ({@code prior.safetensors}), resume, and at the end the test NLL in bits per code, the paper's
 * bits/dim bound with the learned prior beside the uniform-prior one ({@code eval.txt}), the loss curve and a
 * grid of samples ({@code samples.png}, one column per class when conditioned).
 */
public final class PriorRun {
  public static final String CHECKPOINT = "prior.safetensors";
  public static final String METRICS = "metrics.jsonl";
  /** Samples drawn into samples.png. */
  public static final int SAMPLES = 80;

  private final Path outDir;
  private final Device device;
  private final PrintStream progress;

  public PriorRun(Path outDir, Device device, PrintStream progress) {
    this.outDir = outDir;
    this.device = device;
    this.progress = progress;
  }

  /** The end of a run: its steps and, when evaluated, the test figures. */
  public record Result(long steps, PriorStepMetrics last, PriorEvaluation.Nll testNll, double bitsPerDimPrior,
      double bitsPerDimUniform) {}

  /** Starts a new run (an existing checkpoint in the folder is refused: resume it, or use another folder). */
  public Result start(PixelCnnConfig config, PriorTrainConfig train, boolean evaluate) throws IOException {
    train.validate();
    Path ckpt = outDir.resolve(CHECKPOINT);
    if (Files.exists(ckpt)) {
      throw new IllegalStateException(ckpt + " exists: resume that run (--resume), or train into another folder");
    }
    Files.createDirectories(outDir);
    Path vqvae = Path.of(train.vqvae);
    CodeDataset codes;
    try (VqVae vae = Checkpoint.loadModel(vqvae, device)) {
      codes = codes(vae, vqvae, train, true);
      VqVaeConfig vc = vae.config();
      config.numCodes = vc.numEmbeddings;
      config.gridSize = vc.latentSize();
    }
    if (train.conditioned) {
      if (!codes.hasLabels()) {
        throw new IllegalArgumentException(train.dataset + " has no labels to condition on");
      }
      config.numClasses = 1 + java.util.Arrays.stream(codes.labels()).max().orElse(0);
    }
    config.validate();
    train.codes = outDir.resolve("codes-train.safetensors").toString();
    try (PixelCnnPrior prior = new PixelCnnPrior(config, device);
         PriorTrainer trainer = new PriorTrainer(prior, train.learningRate, train.weightDecay, train.seed)) {
      progress.printf("prior: %,d parameters, %d gated layers of %d channels, receptive field %d, K = %d on %dx%d"
          + " grids%s, on %s%n", prior.parameterCount(), config.layers, config.hidden, config.receptiveField(),
          config.numCodes, config.gridSize, config.gridSize,
          config.numClasses > 0 ? ", conditioned on " + config.numClasses + " classes" : "", device);
      try (MetricsLog log = MetricsLog.create(outDir.resolve(METRICS))) {
        return loop(trainer, train, codes, log, evaluate);
      }
    }
  }

  /** Continues the folder's run; steps > 0 replaces the total step count of its train config. */
  public Result resume(long steps, boolean evaluate) throws IOException {
    PriorCheckpoint ck = PriorCheckpoint.read(outDir.resolve(CHECKPOINT));
    PriorTrainConfig train = ck.trainConfig();
    if (steps > 0) {
      train.steps = steps;
    }
    CodeDataset codes;
    try (VqVae vae = Checkpoint.loadModel(Path.of(train.vqvae), device)) {
      codes = codes(vae, Path.of(train.vqvae), train, true);
    }
    try (PixelCnnPrior prior = ck.model(device);
         PriorTrainer trainer = new PriorTrainer(prior, train.learningRate, train.weightDecay, train.seed)) {
      ck.restore(trainer, codes.count());
      progress.printf("resuming %s at step %d of %d%n", ck.file(), trainer.steps(), train.steps);
      try (MetricsLog log = MetricsLog.resume(outDir.resolve(METRICS), trainer.steps())) {
        return loop(trainer, train, codes, log, evaluate);
      }
    }
  }

  private Result loop(PriorTrainer trainer, PriorTrainConfig train, CodeDataset codes, MetricsLog log,
      boolean evaluate) throws IOException {
    Path ckpt = outDir.resolve(CHECKPOINT);
    Path vqvae = Path.of(train.vqvae);
    CodeDataset.Source source = CodeDataset.Source.of(vqvae);
    PriorStepMetrics last = null;
    long startStep = trainer.steps();
    long t0 = System.nanoTime();
    // As in VqVaeRun: steps are queued, their losses read at the log and checkpoint steps.
    ArrayDeque<Long> queuedAt = new ArrayDeque<>();
    while (trainer.steps() < train.steps) {
      trainer.queueStep(codes, train.batchSize);
      queuedAt.add(System.nanoTime());
      long s = trainer.steps();
      boolean logNow = s % train.logEvery == 0 || s == train.steps;
      boolean checkpointNow = s % train.checkpointEvery == 0 && s < train.steps;
      if (!logNow && !checkpointNow) {
        continue;
      }
      for (PriorStepMetrics m : trainer.drainMetrics()) {
        if (!Double.isFinite(m.loss())) {
          throw new IllegalStateException("prior training diverged at step " + m.step() + " (the last checkpoint, "
              + ckpt + ", is intact; lower the learning rate)");
        }
        log.append(m, (queuedAt.remove() - t0) / 1e9);
        last = m;
      }
      log.flush();
      if (logNow) {
        double elapsed = (System.nanoTime() - t0) / 1e9;
        double rate = (s - startStep) / Math.max(elapsed, 1e-9);
        progress.printf("step %6d/%d  %5.2f steps/s  loss %.4f nats  %.4f bits/code  ETA %s%n", s, train.steps, rate,
            last.loss(), last.bitsPerCode(), VqVaeRun.eta((train.steps - s) / Math.max(rate, 1e-9)));
      }
      if (checkpointNow) {
        PriorCheckpoint.save(ckpt, trainer, train, source);
      }
    }
    log.flush();
    PriorCheckpoint.save(ckpt, trainer, train, source);
    progress.printf("checkpoint: %s (step %d)%n", ckpt, trainer.steps());
    if (!evaluate) {
      return new Result(trainer.steps(), last, null, Double.NaN, Double.NaN);
    }
    Result result;
    try (VqVae vae = Checkpoint.loadModel(vqvae, device)) {
      PixelCnnPrior prior = trainer.model();
      Dataset testImages = images(train, vae.config(), false);
      CodeDataset test = codes(vae, vqvae, train, false);
      Evaluation recon = Evaluation.run(vae, testImages, 64);
      PriorEvaluation.Nll all = PriorEvaluation.evaluate(prior, test, 64);
      // The bound pairs each image's reconstruction NLL with its codes' prior NLL: over the same images, the
      // second half of the test set, where the reconstruction's sigma was not fitted.
      int half = test.count() / 2;
      PriorEvaluation.Nll scored = PriorEvaluation.evaluate(prior, test.slice(half, test.count()), 64);
      double withPrior = BitsPerDim.withPrior(recon.reconNllNatsPerImage(), scored.natsPerGrid(),
          recon.dimsPerImage());
      result = new Result(trainer.steps(), last, all, withPrior, recon.bitsPerDimUniformPrior());
      String summary = String.format("test codes       %d grids of %dx%d%n"
          + "test NLL         %.4f bits/code (uniform prior: %.4f = log2 %d)%n"
          + "bits/dim bound   %.4f with the learned prior, %.4f with the uniform prior%n"
          + "                 (discretised-Gaussian reconstruction NLL %.1f nats/image + prior NLL %.1f nats/image,"
          + " over the %d dims of the data set's own pixels, padding cropped; second half of the test set)%n",
          test.count(), test.gridSize(), test.gridSize(), all.bitsPerCode(),
          PriorEvaluation.uniformBitsPerCode(test.numCodes()), test.numCodes(), withPrior,
          recon.bitsPerDimUniformPrior(), recon.reconNllNatsPerImage(), scored.natsPerGrid(), recon.dimsPerImage());
      Files.writeString(outDir.resolve("eval.txt"), summary);
      progress.print(summary);
      Reports.lossCurve(log.file(), outDir.resolve("loss.png"), "PixelCNN prior training", "bits per code", false,
          new String[] {"bits_per_code"}, new String[] {"training bits per code"});
      writeSamples(prior, vae, testImages.classNames(), outDir.resolve("samples.png"), 1.0, train.seed);
    }
    return result;
  }

  /**
   * A grid of samples decoded by the VQ-VAE: 8 rows of one sample per class when conditioned (the class names
   * above the columns), else SAMPLES samples.
   */
  public static void writeSamples(PixelCnnPrior prior, VqVae vae, List<String> classNames, Path png,
      double temperature, long seed) throws IOException {
    int classes = prior.config().numClasses;
    int n = classes > 0 ? 8 * classes : SAMPLES;
    int[] labels = null;
    if (classes > 0) {
      labels = new int[n];
      for (int i = 0; i < n; i++) {
        labels[i] = i % classes;
      }
    }
    VqVaeConfig c = vae.config();
    Tensor images = new PixelCnnSampler(prior).sampleImages(vae, n, labels, temperature, seed,
        PixelCnnSampler.Method.FAST);
    ImageGrid grid = ImageGrid.defaults().withScale(2).withColumns(classes > 0 ? classes : 10);
    if (classes > 0 && classNames.size() == classes) {
      grid = grid.withColumnLabels(classNames);
    }
    Png.write(grid.render(images.toFloatArray(), n, c.imageSize, c.imageSize, c.imageChannels), png);
  }

  /** The codes of a split, from the folder's cache when it was made with this checkpoint, else encoded anew. */
  private CodeDataset codes(VqVae vae, Path vqvae, PriorTrainConfig train, boolean trainSplit) throws IOException {
    Path cache = outDir.resolve(trainSplit ? "codes-train.safetensors" : "codes-test.safetensors");
    if (Files.exists(cache)) {
      try {
        return CodeDataset.load(cache, vqvae);
      } catch (IOException e) {
        progress.println("re-encoding: " + e.getMessage());
      }
    }
    Dataset images = images(train, vae.config(), trainSplit);
    long t0 = System.nanoTime();
    CodeDataset codes = CodeDataset.encode(vae, images.toFloatArray(), images.size(),
        images.hasLabels() ? images.labels() : null, 64, CodeDataset.Source.of(vqvae));
    codes.save(cache);
    progress.printf("encoded %d images of %s in %.1f s: %s%n", images.size(), images.name(),
        (System.nanoTime() - t0) / 1e9, cache);
    return codes;
  }

  private static Dataset images(PriorTrainConfig train, VqVaeConfig vc, boolean trainSplit) throws IOException {
    Path dir = train.dataDir == null || train.dataDir.isEmpty() ? null : Path.of(train.dataDir);
    return Datasets.forModel(train.dataset, dir, trainSplit, vc.imageSize, vc.imageChannels);
  }
}
