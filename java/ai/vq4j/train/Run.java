package ai.vq4j.train;

import ai.vq4j.checkpoint.CheckpointFile;
import ai.vq4j.dist.Communicator;
import ai.vq4j.eval.ModelEvaluation;
import ai.vq4j.io.Safetensors;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import ai.vq4j.tensor.Vq4jException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A training run of any model in an output folder: the loop with progress lines and the metrics log, a
 * checkpoint every N steps and at the end, resume, divergence, and the final evaluation. What differs by
 * model (how a step takes its batch, what a checkpoint adds, what the evaluation writes) is the model's
 * {@link Part}: {@link VqVaeRun}, {@link PriorRun}.
 *
 * <p>Steps are queued without reading anything back; their metrics are read at the log and checkpoint steps,
 * so on a GPU the host runs ahead of the device in between. Resuming continues the same run: same weights,
 * optimizer state, data order and RNG, so it ends where an uninterrupted run ends.
 *
 * <p>Crash safety: checkpoints are replaced atomically (a temporary file, then a rename) and never hold
 * non-finite values; the metrics log is never truncated in place (see {@link MetricsLog}); temporary files
 * a crash left behind are removed when a run starts or resumes.
 */
public final class Run {
  public static final String METRICS = "metrics.jsonl";

  /** The part of a run that differs by model. */
  public interface Part<T extends Trainer<?>> {
    /** Queues one step of the trainer on the next batch. */
    void queueStep(T trainer);

    /** What a checkpoint holds of the run besides the trainer (the data loader's position, the source model). */
    Map<String, String> runState();

    /**
     * Refreshes the run's pictures (loss curve, reconstructions or samples, code usage) after a checkpoint, so
     * a long run can be watched; each is replaced atomically.
     */
    void pictures(T trainer, Path metrics) throws IOException;

    /** The test evaluation at the end; writes the model's report files into the folder. */
    ModelEvaluation evaluate(T trainer, Path metrics) throws IOException;
  }

  /**
   * What a resume may change of its run's config (null: unchanged): the total step count and the learning
   * rate. Everything else (model, data, batch size, seed) makes another run and is refused by the commands.
   */
  public record Overrides(Long steps, Double learningRate) {
    public static final Overrides NONE = new Overrides(null, null);

    /** Applies the overrides to the config of a run at step, saying what changed. */
    public void apply(RunConfig config, long step, PrintStream progress) {
      if (steps != null) {
        if (steps < step) {
          throw new IllegalArgumentException("--steps " + steps + ": the run is already at step " + step);
        }
        if (steps != config.steps) {
          progress.printf("resume: --steps %d replaces the run's %d%n", steps, config.steps);
        }
        config.steps = steps;
      }
      if (learningRate != null) {
        if (learningRate != config.learningRate) {
          progress.printf("resume: --lr %s replaces the run's learning rate %s%n", learningRate, config.learningRate);
        }
        config.learningRate = learningRate;
      }
      config.validate();
    }
  }

  /** The end of a run: its steps, the last step's metrics, and the evaluation (null when skipped). */
  public record Result(long steps, StepMetrics last, ModelEvaluation evaluation) {}

  private final Path outDir;
  private final Path checkpoint;
  private final Device device;
  private final PrintStream progress;
  private boolean resumed;
  private Communicator comm;
  private double timeLimitSeconds = Double.POSITIVE_INFINITY;

  public Run(Path outDir, String checkpointName, Device device, PrintStream progress) {
    this.outDir = outDir;
    this.checkpoint = outDir.resolve(checkpointName);
    this.device = device;
    this.progress = progress;
  }

  public Path checkpoint() {
    return checkpoint;
  }

  /**
   * Makes this run one rank of a data-parallel run over comm (the trainer joins it too, see {@link
   * Trainer#joinDataParallel}): every rank trains, rank 0 alone prepares the folder and writes the metrics
   * log, the checkpoints and the evaluation. The metrics are already the ranks' averages.
   */
  public void distribute(Communicator comm) {
    this.comm = comm;
  }

  /**
   * A wall-time budget for this invocation's training loop: once a step ends past it, the run stops as at its
   * last step (final checkpoint, pictures, evaluation); a resume continues towards the config's step count.
   */
  public void limitTime(double minutes) {
    if (!(minutes > 0) || Double.isInfinite(minutes)) {
      throw new IllegalArgumentException("--time-limit must be a positive, finite number of minutes, got " + minutes);
    }
    timeLimitSeconds = minutes * 60;
  }

  /** The ranks that train this run together: 1 for a single process. */
  public int worldSize() {
    return comm == null ? 1 : comm.worldSize();
  }

  /**
   * The batch of each rank when a run whose global batch was global images (or grids) resumes on the ranks
   * this run has now: a resume keeps the global batch, and with it the data position, which counts global
   * batches; any world size that divides it will do. file names the checkpoint in the error.
   */
  public int perRankBatch(Path file, int global, int current) {
    int ranks = worldSize();
    if (global % ranks != 0) {
      throw new IllegalArgumentException(file + ": the run's global batch of " + global
          + " does not split evenly over " + ranks + " ranks");
    }
    if (global / ranks != current) {
      progress.printf("resume: the run's global batch of %d as %d rank(s) x %d%n", global, ranks, global / ranks);
    }
    return global / ranks;
  }

  /** Whether this process writes the run's files: a single process, or rank 0. */
  public boolean leader() {
    return comm == null || comm.rank() == 0;
  }

  public Path outDir() {
    return outDir;
  }

  public PrintStream progress() {
    return progress;
  }

  /**
   * Before a new run: refuses a folder that already holds this run's checkpoint (resume it) or another run's,
   * creates the folder and removes temporary files a crash left.
   */
  public void prepareStart() throws IOException {
    if (!leader()) {
      return;
    }
    if (Files.exists(outDir) && !Files.isDirectory(outDir)) {
      throw new IOException(outDir + ": --out must be a folder, and this is an existing file");
    }
    if (Files.exists(checkpoint)) {
      throw new IllegalStateException(checkpoint + " exists: resume that run (--resume), or train into another"
          + " folder");
    }
    try {
      Files.createDirectories(outDir);
    } catch (FileAlreadyExistsException e) {
      throw new IOException(outDir + ": cannot create the output folder: " + e.getFile() + " is a file", e);
    }
    refuseOtherRuns();
    removeStrayTemps();
  }

  /** Before resuming: the checkpoint must be there, and no other run's in the folder. */
  public void prepareResume() throws IOException {
    if (!Files.isRegularFile(checkpoint)) {
      throw new IOException(checkpoint + ": no checkpoint to resume (--resume continues the run in --out; start a"
          + " new run without it)");
    }
    if (!leader()) {
      resumed = true;  // every rank reads the checkpoint; only rank 0 tidies the folder
      return;
    }
    refuseOtherRuns();
    removeStrayTemps();
    resumed = true;
  }

  /** Another run's training checkpoint in the folder: both would write metrics.jsonl and the report files. */
  private void refuseOtherRuns() throws IOException {
    List<Path> others = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(outDir, "*.safetensors")) {
      for (Path f : files) {
        if (!f.getFileName().equals(checkpoint.getFileName()) && Files.isRegularFile(f)) {
          others.add(f);
        }
      }
    }
    for (Path f : others) {
      Safetensors st;
      try {
        st = Safetensors.read(f);
      } catch (IOException | RuntimeException e) {
        continue;
      }
      if (st.metadata().containsKey("train_config")) {
        throw new IllegalStateException(outDir + " holds another training run (" + f + "): its metrics.jsonl and"
            + " reports would be overwritten; use another --out folder");
      }
    }
  }

  /**
   * Temporary files of checkpoints, metrics rewrites and pictures (Png.write's hidden ".name.png.*.tmp") that a
   * crash (kill -9, power loss) left behind.
   */
  private void removeStrayTemps() throws IOException {
    String ckpt = checkpoint.getFileName().toString();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(outDir, "*.tmp")) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (name.startsWith(ckpt) || name.equals(METRICS + ".tmp") || name.startsWith(".") && name.contains(".png.")) {
          Files.deleteIfExists(f);
          progress.println("removed " + f + " (left by an interrupted write)");
        }
      }
    }
  }

  /** Trains until the config's step count (or the time limit), then checkpoints and (when asked) evaluates. */
  public <T extends Trainer<?>> Result train(T trainer, RunConfig config, Part<T> part, boolean evaluate)
      throws IOException {
    Path metrics = outDir.resolve(METRICS);
    long intact = resumed ? trainer.steps() : -1;
    StepMetrics last = null;
    long startStep = trainer.steps();
    Communicator.Traffic trafficBefore = comm == null ? null : comm.traffic();
    long t0 = System.nanoTime();
    try (MetricsLog log = !leader() ? null
        : resumed ? MetricsLog.resume(metrics, trainer.steps()) : MetricsLog.create(metrics)) {
      ArrayDeque<Long> queuedAt = new ArrayDeque<>();
      while (trainer.steps() < config.steps) {
        try {
          part.queueStep(trainer);
        } catch (Vq4jException e) {
          throw divergedOr(e, "at step " + (trainer.steps() + 1), intact);
        }
        queuedAt.add(System.nanoTime());
        long s = trainer.steps();
        boolean outOfTime = outOfTime(s, config, t0);
        boolean logNow = s % config.logEvery == 0 || s == config.steps || outOfTime;
        boolean checkpointNow = s % config.checkpointEvery == 0 && s < config.steps && !outOfTime;
        if (!logNow && !checkpointNow) {
          continue;
        }
        List<? extends StepMetrics> drained;
        try {
          drained = trainer.drainMetrics();
        } catch (Vq4jException e) {
          throw divergedOr(e, "by step " + s, intact);  // a device reports at its next synchronisation
        }
        for (StepMetrics m : drained) {
          if (!Double.isFinite(m.loss())) {
            throw new IllegalStateException("training diverged at step " + m.step() + ": loss " + m.loss() + "; "
                + intactCheckpoint(intact));
          }
          double at = (queuedAt.remove() - t0) / 1e9;
          if (log != null) {
            log.append(m, at);
          }
          last = m;
        }
        if (log != null) {
          log.flush();
        }
        if (logNow) {
          double elapsed = (System.nanoTime() - t0) / 1e9;
          double rate = (s - startStep) / Math.max(elapsed, 1e-9);
          progress.printf("step %6d/%d  %5.2f steps/s  %.0f images/s  %s  elapsed %s  ETA %s  %s%n", s, config.steps,
              rate, rate * config.batchSize * worldSize(), last.progress(), duration(elapsed),
              duration((config.steps - s) / Math.max(rate, 1e-9)), device);
        }
        if (checkpointNow) {
          save(trainer, config, part, intact);
          intact = s;
          if (log != null) {
            part.pictures(trainer, log.file());
          }
        }
        if (outOfTime) {
          progress.printf("time limit: stopped at step %d of %d after %s (--time-limit %.4g min)%n", s, config.steps,
              duration((System.nanoTime() - t0) / 1e9), timeLimitSeconds / 60);
          break;
        }
      }
      if (comm != null && trainer.steps() > startStep) {
        Communicator.Traffic t = comm.traffic().since(trafficBefore);
        long steps = trainer.steps() - startStep;
        // Every rank reports (the others on stderr): how long each waited shows which one held the rest back.
        (comm.rank() == 0 ? progress : System.err).printf(
            "communication (rank %d of %d): %.1f collectives, %.2f ms inside them, %.2f ms blocking"
            + " training per step%n", comm.rank(), comm.worldSize(), (double) t.collectives() / steps,
            t.busyMs() / steps, t.blockedMs() / steps);
      }
      if (log == null) {
        return new Result(trainer.steps(), last, null);  // rank 0 saves and evaluates
      }
      log.flush();
      save(trainer, config, part, intact);
      progress.printf("checkpoint: %s (step %d)%n", checkpoint, trainer.steps());
      part.pictures(trainer, log.file());
      ModelEvaluation evaluation = null;
      if (evaluate) {
        evaluation = part.evaluate(trainer, log.file());
        Files.writeString(outDir.resolve("eval.txt"), evaluation.summary());
        progress.print(evaluation.summary());
      }
      return new Result(trainer.steps(), last, evaluation);
    }
  }

  /**
   * Whether the time limit has passed after step s. The ranks of a data-parallel run must stop at the same step:
   * they ask at the log steps only, and stop when any one's clock has passed it (one all-reduce).
   */
  private boolean outOfTime(long s, RunConfig config, long t0) {
    if (timeLimitSeconds == Double.POSITIVE_INFINITY || comm != null && s % config.logEvery != 0) {
      return false;
    }
    boolean mine = (System.nanoTime() - t0) / 1e9 >= timeLimitSeconds;
    if (comm == null) {
      return mine;
    }
    try (Tensor flag = Tensor.of(comm.device(), new float[] {mine ? 1 : 0}, 1)) {
      comm.allReduceSum(flag);
      return flag.toFloatArray()[0] > 0;
    }
  }

  private <T extends Trainer<?>> void save(T trainer, RunConfig config, Part<T> part, long intact)
      throws IOException {
    if (!leader()) {
      return;
    }
    try {
      TrainingCheckpoint.save(checkpoint, trainer, config, part.runState());
    } catch (CheckpointFile.NonFiniteException e) {
      throw new IllegalStateException("training diverged: " + e.getMessage() + "; " + intactCheckpoint(intact), e);
    }
  }

  /**
   * An op refusing a non-finite input (the quantizer's latents, {@link Vq4jException#nonFinite()}) is this run
   * diverging, reported as such; any other op error is returned as it is, whatever its message says.
   */
  private RuntimeException divergedOr(Vq4jException e, String when, long intact) {
    return e.nonFinite() ? new IllegalStateException("training diverged " + when + ": " + e.getMessage() + "; "
        + intactCheckpoint(intact), e) : e;
  }

  /** Which checkpoint a diverged run leaves, and what to do with it. */
  private String intactCheckpoint(long step) {
    return step < 0 ? "no checkpoint was written before it: start again with a lower --lr"
        : "the last checkpoint, " + checkpoint + ", is intact at step " + step + ": resume it with a lower"
            + " learning rate (--resume --lr ...)";
  }

  /** A duration for the progress line: 4m07s, 2h05m. */
  static String duration(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600 ? String.format("%dh%02dm", s / 3600, s / 60 % 60) : String.format("%dm%02ds", s / 60, s % 60);
  }
}
