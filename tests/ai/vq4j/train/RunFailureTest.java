package ai.vq4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.bridge.Vq4jNative;
import ai.vq4j.checkpoint.CheckpointFile;
import ai.vq4j.checkpoint.VqVaeCheckpoint;
import ai.vq4j.eval.ModelEvaluation;
import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Tensor;
import ai.vq4j.tensor.Vq4jException;
import com.google.gson.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a run does when things go wrong (issue 11): the metrics log is rewritten atomically and a cut last line
 * repaired; non-finite weights are never written and the error names the intact checkpoint's step; a resume
 * honours --steps and --lr and says so; another run's folder is refused; a crash's temporary files are
 * removed; checkpoints get the umask's mode; elapsed_s continues after a resume; a broken test set fails
 * before training; an op's non-finite status is divergence, and only that status.
 */
class RunFailureTest {
  @TempDir
  Path dir;

  final ByteArrayOutputStream printed = new ByteArrayOutputStream();
  final PrintStream progress = new PrintStream(printed, true, StandardCharsets.UTF_8);

  static VqVaeConfig tiny() {
    VqVaeConfig c = CheckpointTest.tiny(false);
    c.imageChannels = 3;
    return c;
  }

  TrainConfig train(Path data, long steps) {
    TrainConfig t = new TrainConfig();
    t.dataset = "folder";
    t.dataDir = data.toString();
    t.batchSize = 4;
    t.steps = steps;
    t.logEvery = 2;
    t.checkpointEvery = 2;
    t.seed = 3;
    return t;
  }

  Path data() throws IOException {
    return TinyImageFolder.write(dir.resolve("images"), 12, 4, 8);
  }

  static StepMetrics step(long s) {
    return new PriorStepMetrics(s, 1.0, 1.4);
  }

  @Test
  void aResumeRewritesTheLogAtomicallyAndRepairsACutLastLine() throws IOException {
    Path log = dir.resolve("metrics.jsonl");
    try (MetricsLog m = MetricsLog.create(log)) {
      for (int s = 1; s <= 4; s++) {
        m.append(step(s), s * 10.0);
      }
    }
    // A crash (or a full disk) in the middle of a flush leaves half a line.
    Files.writeString(log, "{\"step\":5,\"loss\":1.", java.nio.file.StandardOpenOption.APPEND);
    assertEquals(4, MetricsLog.read(log).size(), "a cut last line is left out when reading");
    Object inode = Files.getAttribute(log, "unix:ino");
    try (MetricsLog m = MetricsLog.resume(log, 3)) {
      m.append(step(4), 5.0);
    }
    assertNotEquals(inode, Files.getAttribute(log, "unix:ino"), "rewritten into a new file, renamed over the log");
    assertFalse(Files.exists(MetricsLog.tempOf(log)));
    List<JsonObject> records = MetricsLog.read(log);
    assertEquals(4, records.size());
    assertEquals(4, records.get(3).get("step").getAsLong());
    assertEquals(35.0, records.get(3).get("elapsed_s").getAsDouble(), 1e-9, "elapsed_s continues from step 3's 30 s");

    Files.writeString(log, "{\"step\":1}\nnot json\n{\"step\":2}\n");
    IOException e = assertThrows(IOException.class, () -> MetricsLog.resume(log, 5));
    assertTrue(e.getMessage().contains(log.toString()), e.getMessage());
  }

  @Test
  void nonFiniteWeightsAreNeverWrittenAndTheErrorNamesTheIntactStep() throws IOException {
    Path data = data();
    Path out = dir.resolve("run");
    VqVaeRun good = new VqVaeRun(out, Device.CPU, progress);
    good.start(tiny(), train(data, 2), false);
    byte[] intact = Files.readAllBytes(out.resolve(VqVaeRun.CHECKPOINT));
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> new VqVaeRun(out, Device.CPU, progress).resume(new Run.Overrides(8L, 1e39), false));
    assertTrue(e.getMessage().contains("diverged"), e.getMessage());
    assertTrue(e.getMessage().contains("intact at step 2"), e.getMessage());
    try (VqVae m = VqVaeCheckpoint.loadModel(out.resolve(VqVaeRun.CHECKPOINT), Device.CPU)) {
      assertTrue(m.parameterCount() > 0, "the checkpoint left behind loads");
    }
    assertEquals(2, VqVaeCheckpoint.read(out.resolve(VqVaeRun.CHECKPOINT)).step());
    assertTrue(java.util.Arrays.equals(intact, Files.readAllBytes(out.resolve(VqVaeRun.CHECKPOINT))),
        "the intact checkpoint was not replaced");

    // The check itself: a trainer whose weights hold a NaN is refused before anything is written.
    Path file = dir.resolve("nan.safetensors");
    try (VqVae model = new VqVae(tiny(), Device.CPU);
         VqVaeTrainer trainer = new VqVaeTrainer(model, 1e-3, 0, 0.08, 5)) {
      float[] w = model.parameters().get(0).value().toFloatArray();
      w[1] = Float.NaN;
      model.parameters().get(0).value().copyFrom(w);
      CheckpointFile.NonFiniteException x = assertThrows(CheckpointFile.NonFiniteException.class,
          () -> TrainingCheckpoint.save(file, trainer, new TrainConfig(), Map.of()));
      assertTrue(x.getMessage().contains("element 1") && x.getMessage().contains("step 0"), x.getMessage());
    }
    assertFalse(Files.exists(file));
  }

  /**
   * The quantizer refusing a NaN latent (a real native call, status VQ4J_ERR_NONFINITE) is the run diverging;
   * an op error of another status is rethrown as it is, even when its message says "non-finite".
   */
  @Test
  void onlyTheNonFiniteStatusIsDivergence() throws IOException {
    IllegalStateException diverged = assertThrows(IllegalStateException.class, () -> trainWith(t -> {
      try (Tensor zE = Tensor.of(Device.CPU, new float[] {0.5f, Float.NaN}, 1, 2);
           Tensor codebook = Tensor.of(Device.CPU, new float[] {0, 0, 1, 1}, 2, 2);
           Tensor codes = Tensor.zeros(Device.CPU, DType.INT32, 1);
           Tensor zQ = Tensor.zeros(Device.CPU, DType.FLOAT32, 1, 2)) {
        Ops.vqQuantizeForward(zE, codebook, codes, zQ);
      }
    }, "real"));
    assertTrue(diverged.getMessage().startsWith("training diverged at step 1: ")
        && diverged.getMessage().contains("z_e row 0 holds a non-finite value"), diverged.getMessage());
    assertTrue(diverged.getMessage().contains("no checkpoint was written before it"), diverged.getMessage());
    assertEquals(Vq4jNative.VQ4J_ERR_NONFINITE, ((Vq4jException) diverged.getCause()).status());

    Vq4jException unrelated = new Vq4jException("embeddingForward", Vq4jNative.VQ4J_ERR_ARGUMENT,
        "ids[3] = 9 is outside [0, 4) (codes of non-finite-run.safetensors)");
    Vq4jException thrown = assertThrows(Vq4jException.class, () -> trainWith(t -> {
      throw unrelated;
    }, "unrelated"));
    assertSame(unrelated, thrown);
  }

  /** A fresh run in dir/folder whose every step is queueStep, on a real trainer; nothing else is expected. */
  private void trainWith(java.util.function.Consumer<VqVaeTrainer> queueStep, String folder) throws IOException {
    Run run = new Run(dir.resolve(folder), "checkpoint.safetensors", Device.CPU, progress);
    run.prepareStart();
    Run.Part<VqVaeTrainer> part = new Run.Part<>() {
      @Override
      public void queueStep(VqVaeTrainer trainer) {
        queueStep.accept(trainer);
      }

      @Override
      public Map<String, String> runState() {
        throw new AssertionError("no checkpoint: the first step fails");
      }

      @Override
      public void pictures(VqVaeTrainer trainer, Path metrics) {
        throw new AssertionError("no pictures: the first step fails");
      }

      @Override
      public ModelEvaluation evaluate(VqVaeTrainer trainer, Path metrics) {
        throw new AssertionError("no evaluation: the first step fails");
      }
    };
    try (VqVae model = new VqVae(tiny(), Device.CPU);
         VqVaeTrainer trainer = new VqVaeTrainer(model, 1e-3, 0, 0.08, 5)) {
      run.train(trainer, train(dir, 3), part, false);
    }
  }

  @Test
  void aResumeHonoursStepsAndLearningRateAndSaysSo() throws IOException {
    Path data = data();
    Path out = dir.resolve("run");
    new VqVaeRun(out, Device.CPU, progress).start(tiny(), train(data, 2), false);
    Run.Result r = new VqVaeRun(out, Device.CPU, progress).resume(new Run.Overrides(4L, 1e-4), false);
    assertEquals(4, r.steps());
    String said = printed.toString(StandardCharsets.UTF_8);
    assertTrue(said.contains("--steps 4 replaces the run's 2"), said);
    assertTrue(said.contains("--lr 1.0E-4 replaces the run's learning rate 3.0E-4"), said);
    VqVaeCheckpoint ck = VqVaeCheckpoint.read(out.resolve(VqVaeRun.CHECKPOINT));
    TrainConfig saved = TrainingCheckpoint.of(ck.fields()).trainConfig(TrainConfig::fromJson);
    assertEquals(1e-4, saved.learningRate);
    assertEquals(4, saved.steps);
    assertThrows(IllegalArgumentException.class,
        () -> new VqVaeRun(out, Device.CPU, progress).resume(new Run.Overrides(3L, null), false),
        "fewer steps than the run has taken");
  }

  @Test
  void aFolderHoldingAnotherRunIsRefused() throws IOException {
    Path data = data();
    Path out = dir.resolve("run");
    new VqVaeRun(out, Device.CPU, progress).start(tiny(), train(data, 2), false);
    // Another kind of run whose checkpoint is in the same folder (here: a copy under the prior's name).
    Path other = dir.resolve("other");
    Files.createDirectories(other);
    Files.copy(out.resolve(VqVaeRun.CHECKPOINT), other.resolve("prior.safetensors"));
    Files.writeString(other.resolve("metrics.jsonl"), "{\"step\":1,\"loss\":1}\n");
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> new VqVaeRun(other, Device.CPU, progress).start(tiny(), train(data, 2), false));
    assertTrue(e.getMessage().contains("another training run"), e.getMessage());
    Files.copy(out.resolve(VqVaeRun.CHECKPOINT), other.resolve(VqVaeRun.CHECKPOINT));
    assertThrows(IllegalStateException.class, () -> new VqVaeRun(other, Device.CPU, progress).resume(false));
    assertEquals("{\"step\":1,\"loss\":1}\n", Files.readString(other.resolve("metrics.jsonl")), "log untouched");
  }

  @Test
  void crashLeftoversAreRemovedModesFollowTheUmaskAndElapsedContinues() throws IOException {
    Path data = data();
    Path out = dir.resolve("run");
    new VqVaeRun(out, Device.CPU, progress).start(tiny(), train(data, 2), false);
    List<Path> leftovers = List.of(out.resolve("checkpoint.safetensors.tmp"),
        out.resolve("checkpoint.safetensors8812345.tmp"), out.resolve("metrics.jsonl.tmp"));
    for (Path p : leftovers) {
      Files.writeString(p, "half a file");
    }
    new VqVaeRun(out, Device.CPU, progress).resume(new Run.Overrides(4L, null), false);
    for (Path p : leftovers) {
      assertFalse(Files.exists(p), p + " removed");
    }
    Path probe = Files.createFile(dir.resolve("probe"));
    assertEquals(PosixFilePermissions.toString(Files.getPosixFilePermissions(probe)),
        PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve(VqVaeRun.CHECKPOINT))),
        "a checkpoint has the mode any new file gets");
    List<JsonObject> log = MetricsLog.read(out.resolve(Run.METRICS));
    assertEquals(4, log.size());
    for (int i = 1; i < log.size(); i++) {
      assertTrue(log.get(i).get("elapsed_s").getAsDouble() >= log.get(i - 1).get("elapsed_s").getAsDouble(),
          "elapsed_s never goes back: " + log);
    }
  }

  @Test
  void aBrokenTestSetFailsBeforeTraining() throws IOException {
    Path data = data();
    Files.writeString(data.resolve("test/000.png"), "not a png");
    Path out = dir.resolve("run");
    IOException e = assertThrows(IOException.class,
        () -> new VqVaeRun(out, Device.CPU, progress).start(tiny(), train(data, 2), true));
    assertTrue(e.getMessage().contains("000.png"), e.getMessage());
    assertFalse(Files.exists(out.resolve(VqVaeRun.CHECKPOINT)), "nothing was trained");
    assertFalse(printed.toString(StandardCharsets.UTF_8).contains("step "), "no step was taken");
  }
}
