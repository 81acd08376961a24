package ai.vq4j.train;

import ai.vq4j.checkpoint.VqVaeCheckpoint;
import ai.vq4j.data.Batcher;
import ai.vq4j.data.Dataset;
import ai.vq4j.data.ImageSet;
import ai.vq4j.dist.Communicator;
import ai.vq4j.dist.DataParallel;
import ai.vq4j.eval.Evaluation;
import ai.vq4j.eval.ModelEvaluation;
import ai.vq4j.eval.Pictures;
import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * A VQ-VAE training {@link Run}: the model's part of it. Batches come from a shuffling {@link Batcher} whose
 * position each checkpoint stores; the evaluation writes the test figures and pictures.
 *
 * <p>Files: {@code checkpoint.safetensors} (training state; atomically replaced), {@code metrics.jsonl},
 * {@code eval.txt}, {@code code_usage.csv}, {@code code_usage.png}, {@code loss.png}, {@code reconstructions.png}.
 */
public final class VqVaeRun implements Run.Part<VqVaeTrainer> {
  public static final String CHECKPOINT = "checkpoint.safetensors";
  public static final String METRICS = Run.METRICS;

  private final Run run;
  private final Device device;
  private TrainConfig train;
  private Batcher batcher;
  private Tensor batch;
  private Dataset test;
  /** The images of reconstructions.png: the test set's first when it is loaded, else the training set's. */
  private ImageSet shown;
  private Communicator comm;

  public VqVaeRun(Path outDir, Device device, PrintStream progress) {
    this.run = new Run(outDir, CHECKPOINT, device, progress);
    this.device = device;
  }

  /** A wall-time budget for the training loop ({@link Run#limitTime}). */
  public void limitTime(double minutes) {
    run.limitTime(minutes);
  }

  /**
   * Makes this run one rank of a data-parallel run over comm: each rank trains on its shard of every global
   * batch of world size × batch size images (see {@link Batcher.Builder#shard}); rank 0 writes the files.
   * A resume keeps the run's global batch and splits it over the ranks it has now (the data position is one
   * of global batches, so it carries over), which the new world size must divide.
   */
  public void distribute(Communicator comm) {
    this.comm = comm;
    run.distribute(comm);
  }

  /** Starts a new run (an existing checkpoint in the folder is refused: resume it, or use another folder). */
  public Run.Result start(VqVaeConfig config, TrainConfig train, boolean evaluate) throws IOException {
    config.validate();
    train.validate();
    run.prepareStart();
    ImageSet data = train.trainingImages(config.imageSize, config.imageChannels);
    test = evaluate ? train.images(config.imageSize, config.imageChannels, false) : null;
    shown = evaluate ? test : data;
    double variance = train.dataVariance > 0 ? train.dataVariance : data.pixelVariance();
    run.progress().printf("data: %s, %d images %dx%dx%d%s, pixel variance %.5f%n", data.name(), data.size(),
        data.height(), data.width(), data.channels(), data instanceof Dataset ? "" : " streamed from disk", variance);
    try (VqVae model = new VqVae(config, device);
         VqVaeTrainer trainer = new VqVaeTrainer(model, train.learningRate, train.weightDecay, variance, train.seed);
         DataParallel dp = comm == null ? null : trainer.joinDataParallel(comm)) {
      run.progress().printf("model: %s preset, %,d parameters, %s quantizer, K = %d, D = %d, on %s%n", config.preset,
          model.parameterCount(), quantizerName(config), config.numEmbeddings, config.embeddingDim,
          device);
      return train(trainer, train, batcher(data, train), evaluate);
    }
  }

  private static String quantizerName(VqVaeConfig config) {
    String kind = config.fsqLevels.length > 0 ? "FSQ " + java.util.Arrays.toString(config.fsqLevels)
        : (config.ema ? "EMA" : "loss-trained") + (config.l2Codes ? " l2-normalised" : "");
    return config.gradient.equals("rotation") ? kind + " rotation-trick" : kind;
  }

  /** Continues the run whose checkpoint is in the folder, to the step count of its train config. */
  public Run.Result resume(boolean evaluate) throws IOException {
    return resume(Run.Overrides.NONE, evaluate);
  }

  /** Continues the folder's run, with the overrides of its train config that a resume may change. */
  public Run.Result resume(Run.Overrides overrides, boolean evaluate) throws IOException {
    run.prepareResume();
    VqVaeCheckpoint ck = VqVaeCheckpoint.read(run.checkpoint());
    TrainingCheckpoint state = TrainingCheckpoint.of(ck.fields());
    TrainConfig train = state.trainConfig(TrainConfig::fromJson);
    overrides.apply(train, state.step(), run.progress());
    VqVaeConfig config = ck.config();
    ImageSet data = train.trainingImages(config.imageSize, config.imageChannels);
    test = evaluate ? train.images(config.imageSize, config.imageChannels, false) : null;
    shown = evaluate ? test : data;
    Batcher.State saved;
    try {
      saved = Batcher.State.parse(state.meta("data_state"));
    } catch (IllegalArgumentException e) {
      throw new IOException(ck.file() + ": data_state: " + e.getMessage(), e);
    }
    train.batchSize = run.perRankBatch(ck.file(), saved.batchSize(), train.batchSize);
    try (VqVae model = ck.model(device);
         VqVaeTrainer trainer = new VqVaeTrainer(model, train.learningRate, train.weightDecay,
             VqVaeTrainer.dataVariance(state), train.seed)) {
      trainer.restore(state);
      Batcher b = batcher(data, train);
      try {
        b.restore(saved);
      } catch (IllegalArgumentException e) {
        b.close();
        throw new IOException(ck.file() + ": data_state does not fit " + data.name() + ": " + e.getMessage(), e);
      }
      run.progress().printf("resuming %s at step %d of %d%n", ck.file(), trainer.steps(), train.steps);
      try (DataParallel dp = comm == null ? null : trainer.joinDataParallel(comm)) {
        return train(trainer, train, b, evaluate);
      }
    }
  }

  private Run.Result train(VqVaeTrainer trainer, TrainConfig train, Batcher batcher, boolean evaluate)
      throws IOException {
    this.train = train;
    trainer.setSchedule(train.schedule());
    this.batcher = batcher;
    VqVaeConfig c = trainer.model().config();
    try (Tensor x = Tensor.zeros(device, DType.FLOAT32, train.batchSize, c.imageSize, c.imageSize, c.imageChannels);
         Batcher closing = batcher) {
      this.batch = x;
      return run.train(trainer, train, this, evaluate);
    } finally {
      this.batch = null;
    }
  }

  @Override
  public void queueStep(VqVaeTrainer trainer) {
    batcher.next(batch, null);
    trainer.queueStep(batch);
  }

  @Override
  public Map<String, String> runState() {
    return Map.of("data_state", batcher.state().encode());
  }

  /** The loss curves, reconstructions and the codes' usage EMA (replaced by the test counts at the end). */
  @Override
  public void pictures(VqVaeTrainer trainer, Path metrics) throws IOException {
    Path dir = run.outDir();
    Reports.lossCurve(metrics, dir.resolve("loss.png"));
    Pictures.reconstructionGrid(trainer.model(), shown, dir.resolve("reconstructions.png"));
    float[] usage = trainer.model().quantizer().usage();
    double[] values = new double[usage.length];
    for (int i = 0; i < usage.length; i++) {
      values[i] = usage[i];
    }
    Pictures.usageChart(values, "usage EMA (vectors per batch, log scale)", dir.resolve("code_usage.png"));
  }

  /** The test figures, and each code's count over the test set (the usage picture, the CSV). */
  @Override
  public ModelEvaluation evaluate(VqVaeTrainer trainer, Path metrics) throws IOException {
    Evaluation evaluation = Evaluation.run(trainer.model(), test, train.batchSize);
    Path dir = run.outDir();
    Pictures.usageCsv(evaluation.codeCounts(), dir.resolve("code_usage.csv"));
    Pictures.usageChart(evaluation.codeCounts(), dir.resolve("code_usage.png"));
    return evaluation;
  }



  private Batcher batcher(ImageSet data, TrainConfig train) {
    int ranks = comm == null ? 1 : comm.worldSize();
    if (data.size() < (long) train.batchSize * ranks) {
      throw new IllegalArgumentException(data.name() + " has " + data.size() + " images, fewer than a batch of "
          + train.batchSize + (ranks > 1 ? " on each of " + ranks + " ranks" : ""));
    }
    Batcher.Builder b = Batcher.builder(data, train.batchSize).seed(train.seed).shuffle(true).dropLast(true);
    return (comm == null ? b : b.shard(comm.rank(), ranks)).build();
  }
}
