package ai.vq4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.checkpoint.VqVaeCheckpoint;
import ai.vq4j.data.Batcher;
import ai.vq4j.data.Dataset;
import ai.vq4j.io.Safetensors;
import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.nn.Parameter;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Checkpoints: save then load is bit-exact, stop + resume equals an uninterrupted run, bad files are refused. */
class CheckpointTest {
  @TempDir
  Path dir;

  static VqVaeConfig tiny(boolean ema) {
    VqVaeConfig c = new VqVaeConfig();
    c.imageSize = 8;
    c.hidden = 8;
    c.residualHidden = 4;
    c.residualBlocks = 1;
    c.embeddingDim = 4;
    c.numEmbeddings = 16;
    c.ema = ema;
    c.seed = 7;
    return c;
  }

  static Dataset synthetic(int n) {
    Rng rng = new Rng(99);
    float[] v = new float[n * 64];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (rng.nextDouble() - 0.5);
    }
    return Dataset.ofFloat32("synthetic", v, n, 8, 8, 1, null, List.of());
  }

  static TrainConfig trainConfig() {
    TrainConfig t = new TrainConfig();
    t.batchSize = 4;
    t.steps = 8;
    t.seed = 3;
    return t;
  }

  /** Runs steps [from, to) of a trainer over a batcher. */
  static void run(VqVaeTrainer trainer, Batcher batcher, long to) {
    try (Tensor x = Tensor.zeros(Device.CPU, DType.FLOAT32, 4, 8, 8, 1)) {
      while (trainer.steps() < to) {
        batcher.next(x, null);
        trainer.step(x);
      }
    }
  }

  static Batcher batcher(Dataset data) {
    return Batcher.builder(data, 4).seed(3).shuffle(true).dropLast(true).build();
  }

  @Test
  void nonFiniteOrNonPositiveDataVarianceIsRefused() throws IOException {
    Path file = dir.resolve("variance.safetensors");
    try (VqVae model = new VqVae(tiny(false), Device.CPU);
         VqVaeTrainer trainer = new VqVaeTrainer(model, 1e-3, 0, 0.08, 5)) {
      Batcher b = batcher(synthetic(20));
      run(trainer, b, 1);
      TrainingCheckpoint.save(file, trainer, trainConfig(), Map.of("data_state", b.state().encode()));
    }
    Safetensors st = Safetensors.read(file);
    for (String v : new String[] {"Infinity", "NaN", "-1", "0"}) {
      Map<String, String> meta = new LinkedHashMap<>(st.metadata());
      meta.put("data_variance", v);
      Path edited = dir.resolve("variance" + v + ".safetensors");
      new Safetensors(st.tensors(), meta).write(edited);
      IOException e = assertThrows(IOException.class,
          () -> VqVaeTrainer.dataVariance(TrainingCheckpoint.of(VqVaeCheckpoint.read(edited).fields())));
      assertTrue(e.getMessage().contains(edited + ": metadata data_variance"), e.getMessage());
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void saveThenLoadIsBitExact(boolean ema) throws IOException {
    Dataset data = synthetic(20);
    Path file = dir.resolve("ck.safetensors");
    try (VqVae model = new VqVae(tiny(ema), Device.CPU);
         VqVaeTrainer trainer = new VqVaeTrainer(model, 1e-3, 0, 0.08, 5)) {
      Batcher b = batcher(data);
      run(trainer, b, 5);
      TrainingCheckpoint.save(file, trainer, trainConfig(), Map.of("data_state", b.state().encode()));
      VqVaeCheckpoint ck = VqVaeCheckpoint.read(file);
      assertEquals(5, ck.step());
      assertEquals(b.state().encode(), TrainingCheckpoint.of(ck.fields()).meta("data_state"));
      try (VqVae loaded = ck.model(Device.CPU);
           VqVaeTrainer resumed = new VqVaeTrainer(loaded, 1e-3, 0, 0.08, 5)) {
        resumed.restore(TrainingCheckpoint.of(ck.fields()));
        List<Parameter> a = model.parameters();
        List<Parameter> c = loaded.parameters();
        assertEquals(a.size(), c.size());
        for (int i = 0; i < a.size(); i++) {
          assertArrayEquals(a.get(i).value().toFloatArray(), c.get(i).value().toFloatArray(), a.get(i).name());
        }
        for (Parameter p : trainer.optimizer().parameters()) {
          Parameter q = resumed.optimizer().parameters().stream().filter(x -> x.name().equals(p.name())).findFirst()
              .orElseThrow();
          assertArrayEquals(trainer.optimizer().firstMoment(p).toFloatArray(),
              resumed.optimizer().firstMoment(q).toFloatArray(), "adam m " + p.name());
          assertArrayEquals(trainer.optimizer().secondMoment(p).toFloatArray(),
              resumed.optimizer().secondMoment(q).toFloatArray(), "adam v " + p.name());
        }
        assertEquals(trainer.optimizer().steps(), resumed.optimizer().steps());
        assertEquals(trainer.rng().state(), resumed.rng().state());
        assertArrayEquals(model.quantizer().usage(), loaded.quantizer().usage());
        for (int i = 0; i < model.quantizer().stateTensors().size(); i++) {
          assertArrayEquals(model.quantizer().stateTensors().get(i).toFloatArray(),
              loaded.quantizer().stateTensors().get(i).toFloatArray(), model.quantizer().stateNames().get(i));
        }
      }
      // A model-only checkpoint loads the same weights and cannot be resumed.
      Path modelOnly = dir.resolve("model.safetensors");
      VqVaeCheckpoint.saveModel(modelOnly, model);
      assertTrue(!VqVaeCheckpoint.read(modelOnly).isTrainingCheckpoint());
      try (VqVae loaded = VqVaeCheckpoint.loadModel(modelOnly, Device.CPU)) {
        assertArrayEquals(model.parameters().get(0).value().toFloatArray(),
            loaded.parameters().get(0).value().toFloatArray());
      }
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void stopAndResumeEqualsAnUninterruptedRun(boolean ema) throws IOException {
    Dataset data = synthetic(20); // 5 batches an epoch: the resumed run crosses an epoch boundary
    Path file = dir.resolve("ck.safetensors");
    float[][] straight;
    try (VqVae model = new VqVae(tiny(ema), Device.CPU);
         VqVaeTrainer trainer = new VqVaeTrainer(model, 1e-3, 0, 0.08, 5)) {
      run(trainer, batcher(data), 12);
      straight = values(model);
    }
    try (VqVae model = new VqVae(tiny(ema), Device.CPU);
         VqVaeTrainer trainer = new VqVaeTrainer(model, 1e-3, 0, 0.08, 5)) {
      Batcher b = batcher(data);
      run(trainer, b, 7);
      TrainingCheckpoint.save(file, trainer, trainConfig(), Map.of("data_state", b.state().encode()));
    }
    VqVaeCheckpoint ck = VqVaeCheckpoint.read(file);
    try (VqVae model = ck.model(Device.CPU);
         VqVaeTrainer trainer = new VqVaeTrainer(model, 1e-3, 0, 0.08, 5)) {
      trainer.restore(TrainingCheckpoint.of(ck.fields()));
      Batcher b = batcher(data);
      b.restore(Batcher.State.parse(TrainingCheckpoint.of(ck.fields()).meta("data_state")));
      run(trainer, b, 12);
      float[][] resumed = values(model);
      for (int i = 0; i < straight.length; i++) {
        assertArrayEquals(straight[i], resumed[i], model.parameters().get(i).name() + " after resume");
      }
    }
  }

  static float[][] values(VqVae model) {
    return model.parameters().stream().map(p -> p.value().toFloatArray()).toArray(float[][]::new);
  }

  @Test
  void badFilesAreRefusedWithTheirName() throws IOException {
    Path good = dir.resolve("good.safetensors");
    try (VqVae model = new VqVae(tiny(false), Device.CPU)) {
      VqVaeCheckpoint.saveModel(good, model);
    }
    byte[] bytes = Files.readAllBytes(good);

    Path truncated = dir.resolve("truncated.safetensors");
    Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length - 10));
    expectIo(truncated, "truncated.safetensors");

    Path garbage = dir.resolve("garbage.safetensors");
    Files.write(garbage, "this is not a checkpoint".getBytes());
    expectIo(garbage, "garbage.safetensors");

    Path empty = dir.resolve("empty.safetensors");
    Files.write(empty, new byte[0]);
    expectIo(empty, "empty.safetensors");

    Path hugeHeader = dir.resolve("huge.safetensors");
    byte[] h = bytes.clone();
    ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE);
    Files.write(hugeHeader, h);
    expectIo(hugeHeader, "huge.safetensors");

    Safetensors st = Safetensors.read(good);
    Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>(st.tensors());
    tensors.remove("model.decoder.conv1.weight");
    Path missing = dir.resolve("missing.safetensors");
    new Safetensors(tensors, st.metadata()).write(missing);
    IOException e = expectIo(missing, "missing.safetensors");
    assertTrue(e.getMessage().contains("model.decoder.conv1.weight"), e.getMessage());

    tensors = new LinkedHashMap<>(st.tensors());
    tensors.put("model.decoder.conv1.weight", Safetensors.Entry.of(new float[6], 2, 3));
    Path wrongShape = dir.resolve("shape.safetensors");
    new Safetensors(tensors, st.metadata()).write(wrongShape);
    e = expectIo(wrongShape, "shape.safetensors");
    assertTrue(e.getMessage().contains("[2, 3]"), e.getMessage());

    tensors = new LinkedHashMap<>(st.tensors());
    float[] nan = st.floats("model.encoder.conv1.bias");
    nan[1] = Float.NaN;
    tensors.put("model.encoder.conv1.bias", Safetensors.Entry.of(nan, st.shape("model.encoder.conv1.bias")));
    Path withNan = dir.resolve("nan.safetensors");
    new Safetensors(tensors, st.metadata()).write(withNan);
    e = expectIo(withNan, "nan.safetensors");
    assertTrue(e.getMessage().contains("non-finite"), e.getMessage());

    Map<String, String> meta = new LinkedHashMap<>(st.metadata());
    meta.put("model_config", "{\"hidden\": -3}");
    Path badConfig = dir.resolve("config.safetensors");
    new Safetensors(st.tensors(), meta).write(badConfig);
    e = expectIo(badConfig, "config.safetensors");
    assertTrue(e.getMessage().contains("hidden"), e.getMessage());

    meta = new LinkedHashMap<>(st.metadata());
    meta.put("format", "something-else");
    Path otherFormat = dir.resolve("format.safetensors");
    new Safetensors(st.tensors(), meta).write(otherFormat);
    expectIo(otherFormat, "format.safetensors");

    IOException notTraining = assertThrows(IOException.class, () -> TrainingCheckpoint.of(VqVaeCheckpoint.read(good).fields()));
    assertTrue(notTraining.getMessage().contains("train_config"), notTraining.getMessage());
  }

  static IOException expectIo(Path file, String name) {
    IOException e = assertThrows(IOException.class, () -> {
      try (VqVae m = VqVaeCheckpoint.loadModel(file, Device.CPU)) {
        m.parameterCount();
      }
    });
    assertTrue(e.getMessage().contains(name), "message names the file: " + e.getMessage());
    return e;
  }

  @Test
  void aMissingOrBrokenModelConfigIsNamedWithTheFile() throws IOException {
    Path none = dir.resolve("none.safetensors");
    new Safetensors(Map.of(), Map.of("format", VqVaeCheckpoint.FORMAT)).write(none);
    IOException e = assertThrows(IOException.class, () -> VqVaeCheckpoint.read(none));
    assertEquals(none + ": metadata has no model_config", e.getMessage());
    Path broken = dir.resolve("broken.safetensors");
    new Safetensors(Map.of(), Map.of("format", VqVaeCheckpoint.FORMAT, "model_config", "{not json")).write(broken);
    e = assertThrows(IOException.class, () -> VqVaeCheckpoint.read(broken));
    assertTrue(e.getMessage().startsWith(broken + ": model_config: "), e.getMessage());
  }
}
