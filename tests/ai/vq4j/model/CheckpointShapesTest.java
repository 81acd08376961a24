package ai.vq4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.io.Safetensors;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import ai.vq4j.checkpoint.VqVaeCheckpoint;
import ai.vq4j.checkpoint.PriorCheckpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A checkpoint's model_config is input like any other: bounded, and checked against the tensors it sits beside. */
class CheckpointShapesTest {
  @TempDir Path dir;

  private static VqVaeConfig tiny() {
    VqVaeConfig c = new VqVaeConfig();
    c.imageSize = 8;
    c.hidden = 8;
    c.residualHidden = 4;
    c.residualBlocks = 2;
    c.embeddingDim = 4;
    c.numEmbeddings = 8;
    return c;
  }

  /** Saves a tiny VQ-VAE, then rewrites its metadata: a config edited after training. */
  private Path edited(String name, Consumer<Map<String, String>> edit) throws IOException {
    Path file = dir.resolve(name);
    try (VqVae model = new VqVae(tiny(), Device.CPU)) {
      VqVaeCheckpoint.saveModel(file, model);
    }
    Safetensors st = Safetensors.read(file);
    Map<String, String> meta = new LinkedHashMap<>(st.metadata());
    edit.accept(meta);
    new Safetensors(st.tensors(), meta).write(file);
    return file;
  }

  private static String withField(String json, String field, String value) {
    return json.replaceFirst("\"" + field + "\": [^,\\n]+", "\"" + field + "\": " + value);
  }

  @Test
  void fewerResidualBlocksThanTheTensorsHoldIsRefused() throws IOException {
    Path file = edited("blocks.safetensors", m -> m.put("model_config", withField(m.get("model_config"), "residualBlocks", "0")));
    VqVaeCheckpoint ck = VqVaeCheckpoint.read(file);
    assertEquals(0, ck.config().residualBlocks);
    long live = Tensor.liveCount();
    IOException e = assertThrows(IOException.class, () -> ck.model(Device.CPU));
    assertTrue(e.getMessage().startsWith(file + ": the tensors do not match model_config"), e.getMessage());
    assertTrue(e.getMessage().contains("'model.decoder.res.0.conv1.bias' is not part of the model"),
        e.getMessage());
    assertEquals(live, Tensor.liveCount(), "the half-built model was freed");
  }

  @Test
  void moreOrWiderLayersThanTheTensorsHoldIsRefused() throws IOException {
    Path wider = edited("wider.safetensors", m -> m.put("model_config", withField(m.get("model_config"), "hidden", "16")));
    IOException e = assertThrows(IOException.class, () -> VqVaeCheckpoint.loadModel(wider, Device.CPU));
    assertTrue(e.getMessage().contains("has shape") && e.getMessage().contains("the model needs"), e.getMessage());
    Path deeper = edited("deeper.safetensors", m -> m.put("model_config", withField(m.get("model_config"), "residualBlocks", "3")));
    IOException d = assertThrows(IOException.class, () -> VqVaeCheckpoint.loadModel(deeper, Device.CPU));
    assertTrue(d.getMessage().contains("'model.encoder.res.2.") && d.getMessage().contains("is missing"), d.getMessage());
  }

  @Test
  void hugeConfigsAreRefusedBeforeAnythingIsAllocated() throws IOException {
    for (String[] f : new String[][] {{"hidden", "1000000000"}, {"hidden", "4096"}, {"residualBlocks", "100000"},
        {"numEmbeddings", "2147483647"}, {"imageSize", "1073741824"}, {"embeddingDim", "-3"}}) {
      Path file = edited(f[0] + f[1] + ".safetensors", m -> m.put("model_config", withField(m.get("model_config"), f[0], f[1])));
      long allocated = Tensor.allocationCount();
      IOException e = assertThrows(IOException.class, () -> VqVaeCheckpoint.loadModel(file, Device.CPU));
      assertTrue(e.getMessage().contains(file + ": model_config: config field " + f[0]), e.getMessage());
      assertEquals(allocated, Tensor.allocationCount(), f[0] + " = " + f[1] + " allocated before it was refused");
    }
    PixelCnnConfig p = PixelCnnConfig.forCodes(8, 2, 0);
    p.hidden = 1 << 20;
    IllegalArgumentException pe = assertThrows(IllegalArgumentException.class, p::validate);
    assertTrue(pe.getMessage().contains("hidden must be in 1..1024"), pe.getMessage());
    p.hidden = 4;
    p.numClasses = Integer.MAX_VALUE;
    assertThrows(IllegalArgumentException.class, p::validate);
  }

  @Test
  void nonFiniteConfigFieldsAreRefused() throws IOException {
    Path threshold = edited("threshold.safetensors",
        m -> m.put("model_config", withField(m.get("model_config"), "deadCodeThreshold", "Infinity")));
    IOException e = assertThrows(IOException.class, () -> VqVaeCheckpoint.read(threshold));
    assertTrue(e.getMessage().contains("deadCodeThreshold must be finite"), e.getMessage());
  }

  @Test
  void priorCheckpointsAreCheckedTheSameWay() throws IOException {
    PixelCnnConfig c = PixelCnnConfig.forCodes(8, 2, 0);
    c.hidden = 4;
    c.layers = 3;
    c.firstKernelSize = 3;
    c.outputHidden = 8;
    Path file = dir.resolve("prior.safetensors");
    try (PixelCnnPrior prior = new PixelCnnPrior(c, Device.CPU)) {
      PriorCheckpoint.saveModel(file, prior, null);
    }
    Safetensors st = Safetensors.read(file);
    Map<String, String> meta = new LinkedHashMap<>(st.metadata());
    meta.put("model_config", withField(meta.get("model_config"), "layers", "2"));
    new Safetensors(st.tensors(), meta).write(file);
    IOException e = assertThrows(IOException.class, () -> PriorCheckpoint.loadModel(file, Device.CPU));
    assertTrue(e.getMessage().contains("'model.layers.2.") && e.getMessage().contains("not part of the model"),
        e.getMessage());
  }
}
