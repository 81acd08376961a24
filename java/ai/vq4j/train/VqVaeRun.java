package ai.vq4j.train;

import ai.vq4j.data.Batcher;
import ai.vq4j.data.Dataset;
import ai.vq4j.data.Datasets;
import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;

/**
 * A whole VQ-VAE training run in an output folder: data, model, the loop with progress and the metrics log,
 * periodic checkpoints, and at the end the final checkpoint, the test evaluation and the report images.
 * Resuming reads the folder's checkpoint and continues the same run: same weights, optimizer state, data
 * order and RNG, so it ends where an uninterrupted run ends.
 *
 * <p>Files: {@code checkpoint.safetensors} (training state; atomically replaced), {@code metrics.jsonl},
 * {@code eval.txt}, {@code code_usage.csv}, {@code code_usage.png}, {@code loss.png}, {@code reconstructions.png}.
 */
public final class VqVaeRun {
  public static final String CHECKPOINT = "checkpoint.safetensors";
  public static final String METRICS = "metrics.jsonl";

  private final Path outDir;
  private final Device device;
  private final PrintStream progress;

  public VqVaeRun(Path outDir, Device device, PrintStream progress) {
    this.outDir = outDir;
    this.device = device;
    this.progress = progress;
  }

  /** The result of a run: its final step and the test evaluation (null when skipped). */
  public record Result(long steps, StepMetrics last, Evaluation evaluation) {}

  /** Starts a new run (an existing checkpoint in the folder is refused: resume it, or use another folder). */
  public Result start(VqVaeConfig config, TrainConfig train, boolean evaluate) throws IOException {
    config.validate();
    train.validate();
    Path ckpt = outDir.resolve(CHECKPOINT);
    if (Files.exists(ckpt)) {
      throw new IllegalStateException(ckpt + " exists: resume that run (--resume), or train into another folder");
    }
    Files.createDirectories(outDir);
    Dataset data = load(train, config, true);
    double variance = train.dataVariance > 0 ? train.dataVariance : data.pixelVariance();
    progress.printf("data: %s, %d images %dx%dx%d, pixel variance %.5f%n", data.name(), data.size(), data.height(),
        data.width(), data.channels(), variance);
    try (VqVae model = new VqVae(config, device);
         VqVaeTrainer trainer = new VqVaeTrainer(model, train.learningRate, train.weightDecay, variance, train.seed)) {
      progress.printf("model: %s preset, %,d parameters, %s quantizer, K = %d, D = %d, on %s%n", config.preset,
          model.parameterCount(), config.ema ? "EMA" : "loss-trained", config.numEmbeddings, config.embeddingDim,
          device);
      Batcher batcher = batcher(data, train);
      try (MetricsLog log = MetricsLog.create(outDir.resolve(METRICS))) {
        return loop(trainer, train, batcher, log, evaluate);
      }
    }
  }

  /** Continues the run whose checkpoint is in the folder, to the step count of its train config. */
  public Result resume(boolean evaluate) throws IOException {
    return resume(0, evaluate);
  }

  /** Continues the folder's run; steps > 0 replaces the total step count of its train config. */
  public Result resume(long steps, boolean evaluate) throws IOException {
    Checkpoint ck = Checkpoint.read(outDir.resolve(CHECKPOINT));
    if (!ck.isTrainingCheckpoint()) {
      throw new IOException(ck.file() + ": holds a model only, no training state to resume");
    }
    TrainConfig train = ck.trainConfig();
    if (steps > 0) {
      train.steps = steps;
    }
    VqVaeConfig config = ck.config();
    Dataset data = load(train, config, true);
    try (VqVae model = ck.model(device);
         VqVaeTrainer trainer = new VqVaeTrainer(model, train.learningRate, train.weightDecay, ck.dataVariance(),
             train.seed)) {
      ck.restore(trainer);
      Batcher batcher = batcher(data, train);
      try {
        batcher.restore(Batcher.State.parse(ck.dataState()));
      } catch (IllegalArgumentException e) {
        throw new IOException(ck.file() + ": data_state does not fit " + data.name() + ": " + e.getMessage(), e);
      }
      progress.printf("resuming %s at step %d of %d%n", ck.file(), trainer.steps(), train.steps);
      try (MetricsLog log = MetricsLog.resume(outDir.resolve(METRICS), trainer.steps())) {
        return loop(trainer, train, batcher, log, evaluate);
      }
    }
  }

  private Result loop(VqVaeTrainer trainer, TrainConfig train, Batcher batcher, MetricsLog log, boolean evaluate)
      throws IOException {
    VqVae model = trainer.model();
    VqVaeConfig c = model.config();
    Path ckpt = outDir.resolve(CHECKPOINT);
    StepMetrics last = null;
    long startStep = trainer.steps();
    long t0 = System.nanoTime();
    try (Tensor x = Tensor.zeros(device, DType.FLOAT32, train.batchSize, c.imageSize, c.imageSize, c.imageChannels)) {
      // Steps are queued without reading anything back; their metrics are read at the log and checkpoint
      // steps, so on a GPU the host runs ahead of the device in between.
      ArrayDeque<Long> queuedAt = new ArrayDeque<>();
      while (trainer.steps() < train.steps) {
        batcher.next(x, null);
        trainer.queueStep(x);
        queuedAt.add(System.nanoTime());
        long s = trainer.steps();
        boolean logNow = s % train.logEvery == 0 || s == train.steps;
        boolean checkpointNow = s % train.checkpointEvery == 0 && s < train.steps;
        if (!logNow && !checkpointNow) {
          continue;
        }
        for (StepMetrics m : trainer.drainMetrics()) {
          if (!Double.isFinite(m.loss())) {
            throw new IllegalStateException("training diverged at step " + m.step() + ": loss " + m.loss()
                + " (the last checkpoint, " + ckpt + ", is intact; lower the learning rate)");
          }
          log.append(m, (queuedAt.remove() - t0) / 1e9);
          last = m;
        }
        log.flush();
        if (logNow) {
          double elapsed = (System.nanoTime() - t0) / 1e9;
          double rate = (s - startStep) / Math.max(elapsed, 1e-9);
          progress.printf("step %6d/%d  %5.2f steps/s  loss %.4f  mse %.5f  vq %.4f  perplexity %6.1f  dead %3d"
              + "  ETA %s%n", s, train.steps, rate, last.loss(), last.reconMse(), last.vqLoss(), last.perplexity(),
              last.deadCodes(), eta((train.steps - s) / Math.max(rate, 1e-9)));
        }
        if (checkpointNow) {
          Checkpoint.save(ckpt, trainer, train, batcher.state().encode());
        }
      }
      log.flush();
      Checkpoint.save(ckpt, trainer, train, batcher.state().encode());
      progress.printf("checkpoint: %s (step %d)%n", ckpt, trainer.steps());
    }
    Evaluation evaluation = null;
    if (evaluate) {
      Dataset test = load(train, c, false);
      evaluation = Evaluation.run(model, test, train.batchSize);
      Files.writeString(outDir.resolve("eval.txt"), evaluation.summary());
      writeUsage(outDir.resolve("code_usage.csv"), evaluation.codeCounts());
      Reports.usageChart(evaluation.codeCounts(), outDir.resolve("code_usage.png"));
      progress.print(evaluation.summary());
      Reports.write(outDir, model, test, log.file());
    }
    return new Result(trainer.steps(), last, evaluation);
  }

  /** code,count lines. */
  public static void writeUsage(Path file, long[] counts) throws IOException {
    StringBuilder sb = new StringBuilder("code,count\n");
    for (int j = 0; j < counts.length; j++) {
      sb.append(j).append(',').append(counts[j]).append('\n');
    }
    Files.writeString(file, sb);
  }

  static Dataset load(TrainConfig train, VqVaeConfig config, boolean trainSplit) throws IOException {
    Path dir = train.dataDir == null || train.dataDir.isEmpty() ? null : Path.of(train.dataDir);
    return Datasets.forModel(train.dataset, dir, trainSplit, config.imageSize, config.imageChannels);
  }

  private static Batcher batcher(Dataset data, TrainConfig train) {
    if (data.size() < train.batchSize) {
      throw new IllegalArgumentException(data.name() + " has " + data.size() + " images, fewer than a batch of "
          + train.batchSize);
    }
    return Batcher.builder(data, train.batchSize).seed(train.seed).shuffle(true).dropLast(true).build();
  }

  static String eta(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600 ? String.format("%dh%02dm", s / 3600, s / 60 % 60) : String.format("%dm%02ds", s / 60, s % 60);
  }
}
