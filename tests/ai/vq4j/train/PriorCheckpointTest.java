package ai.vq4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.checkpoint.CodeDataset;
import ai.vq4j.checkpoint.PriorCheckpoint;
import ai.vq4j.checkpoint.VqVaeCheckpoint;
import ai.vq4j.model.PixelCnnConfig;
import ai.vq4j.model.PixelCnnPrior;
import ai.vq4j.model.Prior;
import ai.vq4j.model.PriorConfig;
import ai.vq4j.model.PriorKind;
import ai.vq4j.model.TransformerConfig;
import ai.vq4j.model.TransformerPrior;
import ai.vq4j.io.Safetensors;
import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.nn.Parameter;
import ai.vq4j.tensor.Device;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Prior checkpoints: save then load is bit-exact (weights, Adam moments, step, data order); stopping and
 * resuming from a checkpoint continues exactly the uninterrupted run; a damaged or foreign file is an
 * IOException that names the file.
 */
class PriorCheckpointTest {
  static final Device CPU = Device.CPU;

  @TempDir
  Path dir;

  static PixelCnnConfig config(int classes) {
    PixelCnnConfig c = new PixelCnnConfig();
    c.numCodes = 9;
    c.gridSize = 4;
    c.hidden = 6;
    c.layers = 3;
    c.kernelSize = 3;
    c.firstKernelSize = 3;
    c.outputHidden = 12;
    c.numClasses = classes;
    c.seed = 12;
    return c;
  }

  /** A small prior of either kind over the same codes (K = 9 on 4x4 grids); the Transformer with dropout. */
  static PriorConfig config(String kind, int classes) {
    if (kind.equals("pixelcnn")) {
      return config(classes);
    }
    TransformerConfig c = new TransformerConfig();
    c.numCodes = 9;
    c.gridSize = 4;
    c.width = 12;
    c.depth = 2;
    c.heads = 3;
    c.mlpRatio = 2;
    c.dropout = 0.1;
    c.numClasses = classes;
    c.seed = 12;
    return c.validate();
  }

  static CodeDataset data(int count, int classes, long seed) {
    Random r = new Random(seed);
    int[] codes = new int[count * 16];
    for (int i = 0; i < codes.length; i++) {
      codes[i] = r.nextInt(9) / (1 + (i % 3));  // some structure, so that training moves
    }
    int[] labels = null;
    if (classes > 0) {
      labels = new int[count];
      for (int i = 0; i < count; i++) {
        labels[i] = r.nextInt(classes);
      }
    }
    return new CodeDataset(codes, labels, count, 4, 9, null);
  }

  static PriorTrainConfig trainConfig() {
    PriorTrainConfig t = new PriorTrainConfig();
    t.batchSize = 6;
    t.learningRate = 3e-3;
    t.seed = 5;
    return t.validate();
  }

  @ParameterizedTest(name = "{0}, classes {1}")
  @CsvSource({"pixelcnn, 0", "pixelcnn, 3", "transformer, 0", "transformer, 3"})
  void saveThenLoadIsBitExact(String kind, int classes) throws IOException {
    CodeDataset d = data(20, classes, 1);
    Path file = dir.resolve("prior.safetensors");
    CodeDataset.Source source = new CodeDataset.Source("/tmp/vqvae.safetensors", "ab12", 150);
    try (Prior prior = config(kind, classes).build(CPU);
         PriorTrainer trainer = new PriorTrainer(prior, 3e-3, 0.1, 5)) {
      for (int i = 0; i < 4; i++) {
        trainer.step(d, 6);
      }
      Map<String, String> sourceMeta = new LinkedHashMap<>();
      PriorCheckpoint.putSource(source, sourceMeta);
      TrainingCheckpoint.save(file, trainer, trainConfig(), sourceMeta);
      PriorCheckpoint ck = PriorCheckpoint.read(file);
      assertTrue(ck.isTrainingCheckpoint());
      assertEquals(4, ck.step());
      assertEquals(source, ck.source());
      assertEquals(prior.config().toJson(), ck.config().toJson());
      assertEquals(PriorKind.of(kind, "kind"), ck.kind());
      assertEquals(trainConfig().toJson(), TrainingCheckpoint.of(ck.fields()).trainConfig(PriorTrainConfig::fromJson).toJson());
      try (Prior loaded = ck.model(CPU);
           PriorTrainer resumed = new PriorTrainer(loaded, 3e-3, 0.1, 5)) {
        assertEquals(prior.getClass(), loaded.getClass());
        resumed.restore(TrainingCheckpoint.of(ck.fields()));
        assertBitEqual(prior.parameters(), loaded.parameters());
        assertEquals(trainer.optimizer().steps(), resumed.optimizer().steps());
        assertEquals(trainer.steps(), resumed.steps());
        assertEquals(trainer.dataState(), resumed.dataState());
        for (int i = 0; i < prior.parameters().size(); i++) {
          Parameter a = trainer.optimizer().parameters().get(i);
          Parameter b = resumed.optimizer().parameters().get(i);
          assertArrayEquals(trainer.optimizer().firstMoment(a).toFloatArray(),
              resumed.optimizer().firstMoment(b).toFloatArray(), "Adam m of " + a.name());
          assertArrayEquals(trainer.optimizer().secondMoment(a).toFloatArray(),
              resumed.optimizer().secondMoment(b).toFloatArray(), "Adam v of " + a.name());
        }
      }
      Path model = dir.resolve("model.safetensors");
      PriorCheckpoint.saveModel(model, prior, null);
      PriorCheckpoint mk = PriorCheckpoint.read(model);
      assertFalse(mk.isTrainingCheckpoint());
      assertNull(mk.source());
      try (Prior loaded = PriorCheckpoint.loadModel(model, CPU)) {
        assertBitEqual(prior.parameters(), loaded.parameters());
      }
    }
  }

  /** 11 steps straight, or 4 steps, a checkpoint, a fresh process's load and 7 more: the same losses and weights. */
  @ParameterizedTest(name = "{0}, classes {1}")
  @CsvSource({"pixelcnn, 0", "pixelcnn, 2", "transformer, 0", "transformer, 2"})
  void resumeContinuesTheUninterruptedRun(String kind, int classes) throws IOException {
    CodeDataset d = data(20, classes, 2);  // 3 batches of 6 per epoch: 11 steps cross 3 epochs
    List<Double> straight = new ArrayList<>();
    List<float[]> straightWeights = new ArrayList<>();
    try (Prior prior = config(kind, classes).build(CPU);
         PriorTrainer trainer = new PriorTrainer(prior, 3e-3, 0.1, 5)) {
      for (int i = 0; i < 11; i++) {
        straight.add(trainer.step(d, 6).loss());
      }
      prior.parameters().forEach(p -> straightWeights.add(p.value().toFloatArray()));
    }
    Path file = dir.resolve("stop.safetensors");
    List<Double> resumedLosses = new ArrayList<>();
    try (Prior prior = config(kind, classes).build(CPU);
         PriorTrainer trainer = new PriorTrainer(prior, 3e-3, 0.1, 5)) {
      for (int i = 0; i < 4; i++) {
        resumedLosses.add(trainer.step(d, 6).loss());
      }
      TrainingCheckpoint.save(file, trainer, trainConfig(), Map.of());
    }
    PriorCheckpoint ck = PriorCheckpoint.read(file);
    try (Prior prior = ck.model(CPU);
         PriorTrainer trainer = new PriorTrainer(prior, 3e-3, 0.1, 5)) {
      trainer.restore(TrainingCheckpoint.of(ck.fields()));
      for (int i = 4; i < 11; i++) {
        PriorStepMetrics m = trainer.step(d, 6);
        assertEquals(i + 1, m.step());
        resumedLosses.add(m.loss());
      }
      for (int i = 0; i < 11; i++) {
        assertEquals(Double.doubleToLongBits(straight.get(i)), Double.doubleToLongBits(resumedLosses.get(i)),
            "loss of step " + (i + 1) + ": " + straight.get(i) + " vs " + resumedLosses.get(i));
      }
      for (int i = 0; i < straightWeights.size(); i++) {
        assertArrayEquals(straightWeights.get(i), prior.parameters().get(i).value().toFloatArray(),
            prior.parameters().get(i).name());
      }
    }
    assertTrue(straight.get(10) < straight.get(0), "training lowers the loss: " + straight);
  }

  @Test
  void aDamagedOrForeignFileIsAnIOExceptionNamingIt() throws IOException {
    Path good = dir.resolve("good.safetensors");
    try (PixelCnnPrior prior = new PixelCnnPrior(config(0), CPU);
         PriorTrainer trainer = new PriorTrainer(prior, 1e-3, 0, 1)) {
      trainer.step(data(8, 0, 3), 4);
      TrainingCheckpoint.save(good, trainer, trainConfig(), Map.of());
    }
    byte[] bytes = Files.readAllBytes(good);

    Path truncated = dir.resolve("truncated.safetensors");
    Files.write(truncated, Arrays.copyOf(bytes, bytes.length - 100));
    assertNamesFile(truncated, () -> PriorCheckpoint.loadModel(truncated, CPU));

    Path garbage = dir.resolve("garbage.safetensors");
    byte[] g = bytes.clone();
    for (int i = 8; i < 40; i++) {
      g[i] = (byte) '#';
    }
    Files.write(garbage, g);
    assertNamesFile(garbage, () -> PriorCheckpoint.read(garbage));

    Path nan = dir.resolve("nan.safetensors");
    byte[] n = bytes.clone();
    long headerLength = ByteBuffer.wrap(n).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    ByteBuffer.wrap(n).order(ByteOrder.LITTLE_ENDIAN).putFloat((int) (8 + headerLength), Float.NaN);
    Files.write(nan, n);
    IOException e = assertNamesFile(nan, () -> PriorCheckpoint.loadModel(nan, CPU));
    assertTrue(e.getMessage().contains("non-finite"), e.getMessage());

    Path vqvae = dir.resolve("vqvae.safetensors");
    VqVaeConfig vc = VqVaeConfig.sonnet(1);
    vc.imageSize = 8;
    vc.hidden = 4;
    vc.residualHidden = 2;
    vc.embeddingDim = 2;
    vc.numEmbeddings = 4;
    try (VqVae vae = new VqVae(vc, CPU)) {
      VqVaeCheckpoint.saveModel(vqvae, vae);
    }
    e = assertNamesFile(vqvae, () -> PriorCheckpoint.read(vqvae));
    assertTrue(e.getMessage().contains("not a vq4j prior checkpoint"), e.getMessage());

    Path missing = dir.resolve("missing.safetensors");
    assertThrows(IOException.class, () -> PriorCheckpoint.read(missing));

    // A model-only checkpoint cannot resume training, and says so.
    Path model = dir.resolve("model-only.safetensors");
    try (PixelCnnPrior prior = new PixelCnnPrior(config(0), CPU)) {
      PriorCheckpoint.saveModel(model, prior, null);
      try (PriorTrainer trainer = new PriorTrainer(prior, 1e-3, 0, 1)) {
        e = assertNamesFile(model, () -> {
          trainer.restore(TrainingCheckpoint.of(PriorCheckpoint.read(model).fields()));
          return null;
        });
        assertTrue(e.getMessage().contains("not a training checkpoint"), e.getMessage());
      }
    }
  }

  /**
   * A checkpoint written before the Transformer prior (format vq4j-pixelcnn-1, no prior_model: made here by
   * rewriting a new file's metadata to the old one's) loads as a PixelCNN with its weights; a new-format file
   * without its kind is refused, naming the field; an unknown kind likewise.
   */
  @Test
  void aCheckpointFromBeforeTheKindFieldLoadsAsAPixelCnn() throws IOException {
    Path file = dir.resolve("old.safetensors");
    try (PixelCnnPrior prior = new PixelCnnPrior(config(2), CPU)) {
      PriorCheckpoint.saveModel(file, prior, null);
      Safetensors st = Safetensors.read(file);
      Map<String, String> old = new LinkedHashMap<>();
      old.put("format", "vq4j-pixelcnn-1");
      old.put("layout", st.metadata().get("layout"));
      old.put("model_config", st.metadata().get("model_config"));
      new Safetensors(st.tensors(), old).write(file);
      PriorCheckpoint ck = PriorCheckpoint.read(file);
      assertEquals(PriorKind.PIXELCNN, ck.kind());
      try (Prior loaded = ck.model(CPU)) {
        assertTrue(loaded instanceof PixelCnnPrior);
        assertBitEqual(prior.parameters(), loaded.parameters());
      }

      Map<String, String> noKind = new LinkedHashMap<>(old);
      noKind.put("format", PriorCheckpoint.FORMAT);
      Path missing = dir.resolve("no-kind.safetensors");
      new Safetensors(st.tensors(), noKind).write(missing);
      IOException e = assertNamesFile(missing, () -> PriorCheckpoint.read(missing));
      assertTrue(e.getMessage().contains("prior_model"), e.getMessage());

      noKind.put("prior_model", "lstm");
      Path unknown = dir.resolve("unknown-kind.safetensors");
      new Safetensors(st.tensors(), noKind).write(unknown);
      e = assertNamesFile(unknown, () -> PriorCheckpoint.read(unknown));
      assertTrue(e.getMessage().contains("pixelcnn or transformer"), e.getMessage());
    }
    // A Transformer's weights under a PixelCNN's kind: the shapes name what does not fit.
    Path swapped = dir.resolve("swapped.safetensors");
    try (TransformerPrior t = new TransformerPrior((TransformerConfig) config("transformer", 0), CPU)) {
      PriorCheckpoint.saveModel(swapped, t, null);
    }
    Safetensors st = Safetensors.read(swapped);
    Map<String, String> meta = new LinkedHashMap<>(st.metadata());
    meta.put("prior_model", "pixelcnn");
    new Safetensors(st.tensors(), meta).write(swapped);
    assertNamesFile(swapped, () -> PriorCheckpoint.loadModel(swapped, CPU));
  }

  interface IoCall {
    Object call() throws IOException;
  }

  static IOException assertNamesFile(Path file, IoCall call) {
    IOException e = assertThrows(IOException.class, call::call);
    assertTrue(e.getMessage().contains(file.toString()), "message names the file: " + e.getMessage());
    return e;
  }

  static void assertBitEqual(List<Parameter> a, List<Parameter> b) {
    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); i++) {
      assertEquals(a.get(i).name(), b.get(i).name());
      float[] x = a.get(i).value().toFloatArray();
      float[] y = b.get(i).value().toFloatArray();
      for (int j = 0; j < x.length; j++) {
        assertEquals(Float.floatToRawIntBits(x[j]), Float.floatToRawIntBits(y[j]), a.get(i).name() + "[" + j + "]");
      }
    }
  }
}
