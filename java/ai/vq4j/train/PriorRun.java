package ai.vq4j.train;

import ai.vq4j.checkpoint.CodeDataset;
import ai.vq4j.checkpoint.PriorCheckpoint;
import ai.vq4j.checkpoint.VqVaeCheckpoint;
import ai.vq4j.data.Dataset;
import ai.vq4j.dist.Communicator;
import ai.vq4j.dist.DataParallel;
import ai.vq4j.eval.ModelEvaluation;
import ai.vq4j.eval.PriorEvaluation;
import ai.vq4j.model.Prior;
import ai.vq4j.model.PriorConfig;
import ai.vq4j.model.Sampling;
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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A prior training {@link Run} of either kind of prior (the {@link Prior} shape: Gated PixelCNN or Transformer):
 * the prior's part of it. The training and test sets are encoded with the VQ-VAE
 * (cached in {@code codes-train.safetensors} and {@code codes-test.safetensors}, re-encoded when the checkpoint
 * changed); batches come from the trainer's own shuffled order; checkpoints ({@code prior.safetensors}) name
 * the VQ-VAE; at the end the test NLL in bits per code, the paper's bits/dim bound with the learned prior beside
 * the uniform-prior one ({@code eval.txt}), the loss curve and a grid of samples ({@code samples.png}, one column
 * per class when conditioned).
 */
public final class PriorRun implements Run.Part<PriorTrainer>, ModelRun<PriorConfig, PriorTrainConfig> {
  public static final String CHECKPOINT = "prior.safetensors";
  public static final String METRICS = Run.METRICS;
  /** Samples drawn into samples.png. */
  public static final int SAMPLES = 80;
  /** Checkpoint metadata: how many ranks shared each global batch (with the train config's per-rank batch). */
  static final String WORLD_SIZE = "world_size";

  private final Run run;
  private final Device device;
  private PriorTrainConfig train;
  private CodeDataset codes;
  private Map<String, String> source;
  private Dataset testImages;
  /** The VQ-VAE, open while the prior trains: it decodes samples.png at each checkpoint. */
  private VqVae vae;
  private Communicator comm;

  public PriorRun(Path outDir, Device device, PrintStream progress) {
    this.run = new Run(outDir, CHECKPOINT, device, progress);
    this.device = device;
  }

  /** A wall-time budget for the training loop ({@link Run#limitTime}). */
  @Override
  public void limitTime(double minutes) {
    run.limitTime(minutes);
  }

  /**
   * Makes this run one rank of a data-parallel run over comm: the ranks encode the training set together (or
   * take rank 0's code cache), each trains on its slice of every global batch of world size x batch size
   * grids ({@link PriorTrainer#queueStep(CodeDataset, int)}), and rank 0 writes the files. A resume keeps
   * the run's global batch and splits it over the ranks it has now, which must divide it.
   */
  @Override
  public void distribute(Communicator comm) {
    this.comm = comm;
    run.distribute(comm);
  }

  /** Starts a new run (an existing checkpoint in the folder is refused: resume it, or use another folder). */
  @Override
  public Run.Result start(PriorConfig config, PriorTrainConfig train, boolean evaluate) throws IOException {
    config.validate();  // the network's shape, before the codes are encoded; its codes are checked once fitted
    train.validate();
    run.prepareStart();
    Path vqvae = Path.of(train.vqvae);
    try (VqVae vae = VqVaeCheckpoint.loadModel(vqvae, device)) {
      prepareData(vae, train, evaluate);
      VqVaeConfig vc = vae.config();
      int classes = 0;
      if (train.conditioned) {
        if (!codes.hasLabels()) {
          throw new IllegalArgumentException(train.dataset + " has no labels to condition on");
        }
        classes = 1 + Arrays.stream(codes.labels()).max().orElse(0);
      }
      config.fitCodes(vc.numEmbeddings, vc.latentSize(), classes);
      config.validate();
      train.codes = run.outDir().resolve("codes-train.safetensors").toString();
      try (Prior prior = config.build(device);
           PriorTrainer trainer = new PriorTrainer(prior, train.learningRate, train.weightDecay, train.seed)) {
        run.progress().printf("prior: %s, %,d parameters, %s, K = %d on %dx%d grids%s, on %s%n", config.kind().title(),
            prior.parameterCount(), config.describe(), config.numCodes(), config.gridSize(), config.gridSize(),
            classes > 0 ? ", conditioned on " + classes + " classes" : "", device);
        return train(trainer, train, vae, evaluate);
      }
    }
  }

  /** Continues the folder's run, with the overrides of its train config that a resume may change. */
  @Override
  public Run.Result resume(Run.Overrides overrides, boolean evaluate) throws IOException {
    run.prepareResume();
    PriorCheckpoint ck = PriorCheckpoint.read(run.checkpoint());
    TrainingCheckpoint state = TrainingCheckpoint.of(ck.fields());
    PriorTrainConfig train = state.trainConfig(PriorTrainConfig::fromJson);
    overrides.apply(train, state.step(), run.progress());
    // Runs written before data-parallel training had one rank.
    long savedRanks = ck.fields().hasMeta(WORLD_SIZE) ? ck.fields().parseLong(WORLD_SIZE) : 1;
    if (savedRanks < 1 || savedRanks > 1 << 20) {
      throw new IOException(ck.file() + ": metadata " + WORLD_SIZE + " = " + savedRanks + " is not a world size");
    }
    train.batchSize = run.perRankBatch(ck.file(), Math.toIntExact(train.batchSize * savedRanks), train.batchSize);
    try (VqVae vae = VqVaeCheckpoint.loadModel(Path.of(train.vqvae), device)) {
      prepareData(vae, train, evaluate);
      try (Prior prior = ck.model(device);
           PriorTrainer trainer = new PriorTrainer(prior, train.learningRate, train.weightDecay, train.seed)) {
        trainer.restore(state);
        run.progress().printf("resuming %s at step %d of %d%n", ck.file(), trainer.steps(), train.steps);
        return train(trainer, train, vae, evaluate);
      }
    }
  }

  private Run.Result train(PriorTrainer trainer, PriorTrainConfig train, VqVae vae, boolean evaluate)
      throws IOException {
    this.train = train;
    this.vae = vae;
    try (DataParallel dp = comm == null ? null : trainer.joinDataParallel(comm)) {
      return run.train(trainer, train, this, evaluate);
    } finally {
      this.vae = null;
    }
  }

  /** The training codes, the VQ-VAE's identity for the checkpoints, and (to evaluate) the test images. */
  private void prepareData(VqVae vae, PriorTrainConfig train, boolean evaluate) throws IOException {
    Path vqvae = Path.of(train.vqvae);
    codes = codes(vae, vqvae, train, true);
    source = new LinkedHashMap<>();
    PriorCheckpoint.putSource(CodeDataset.Source.of(vqvae), source);
    source.put(WORLD_SIZE, Integer.toString(run.worldSize()));
    // Rank 0 alone evaluates and draws the samples' column labels.
    testImages = evaluate && run.leader()
        ? train.images(vae.config().imageSize, vae.config().imageChannels, false) : null;
  }

  @Override
  public void queueStep(PriorTrainer trainer) {
    trainer.queueStep(codes, train.batchSize);
  }

  @Override
  public Map<String, String> runState() {
    return source;
  }

  /** The loss curve and a grid of samples decoded by the VQ-VAE. */
  @Override
  public void pictures(PriorTrainer trainer, Path metrics) throws IOException {
    Reports.lossCurve(metrics, run.outDir().resolve("loss.png"), trainer.model().kind().title() + " prior training",
        "bits per code", false,
        new String[] {"bits_per_code"}, new String[] {"training bits per code"});
    List<String> classNames = testImages != null ? testImages.classNames() : List.of();
    writeSamples(trainer.model(), vae, classNames, run.outDir().resolve("samples.png"), 1.0, train.seed);
  }

  @Override
  public ModelEvaluation evaluate(PriorTrainer trainer, Path metrics) throws IOException {
    CodeDataset test = codes(vae, Path.of(train.vqvae), train, false);
    return PriorEvaluation.run(trainer.model(), vae, testImages, test, 64);
  }

  /**
   * A grid of samples decoded by the VQ-VAE: 8 rows of one sample per class when conditioned (the class names
   * above the columns), else SAMPLES samples.
   */
  public static void writeSamples(Prior prior, VqVae vae, List<String> classNames, Path png,
      double temperature, long seed) throws IOException {
    int classes = prior.config().numClasses();
    int n = classes > 0 ? 8 * classes : SAMPLES;
    int[] labels = null;
    if (classes > 0) {
      labels = new int[n];
      for (int i = 0; i < n; i++) {
        labels[i] = i % classes;
      }
    }
    VqVaeConfig c = vae.config();
    Tensor images = prior.sampleImages(vae, n, labels, Sampling.withTemperature(temperature), seed);
    ImageGrid grid = ImageGrid.defaults().withScale(2).withColumns(classes > 0 ? classes : 10);
    if (classes > 0 && classNames.size() == classes) {
      grid = grid.withColumnLabels(classNames);
    }
    Png.write(grid.render(images.toFloatArray(), n, c.imageSize, c.imageSize, c.imageChannels), png);
  }

  /**
   * The codes of a split, from the folder's cache when it was made with this checkpoint, else encoded anew. In
   * a data-parallel run the training split is rank 0's cache or encoded by all ranks together (every rank gets
   * all codes); the test split is rank 0's alone (it evaluates).
   */
  private CodeDataset codes(VqVae vae, Path vqvae, PriorTrainConfig train, boolean trainSplit) throws IOException {
    Path cache = run.outDir().resolve(trainSplit ? "codes-train.safetensors" : "codes-test.safetensors");
    Communicator together = trainSplit ? comm : null;
    CodeDataset cached = null;
    if (run.leader() && Files.exists(cache)) {
      try {
        cached = CodeDataset.load(cache, vqvae);
      } catch (IOException e) {
        run.progress().println("re-encoding: " + e.getMessage());
      }
    }
    CodeDataset.Source source = CodeDataset.Source.of(vqvae);
    if (together != null) {
      cached = CodeDataset.broadcast(together, cached, source);
    }
    if (cached != null) {
      return cached;
    }
    Dataset images = train.images(vae.config().imageSize, vae.config().imageChannels, trainSplit);
    long t0 = System.nanoTime();
    CodeDataset codes = CodeDataset.encode(vae, images.toFloatArray(), images.size(),
        images.hasLabels() ? images.labels() : null, 64, source, together);
    if (run.leader()) {
      codes.save(cache);
    }
    run.progress().printf("encoded %d images of %s in %.1f s%s: %s%n", images.size(), images.name(),
        (System.nanoTime() - t0) / 1e9, together == null ? "" : " on " + together.worldSize() + " ranks", cache);
    return codes;
  }

}
