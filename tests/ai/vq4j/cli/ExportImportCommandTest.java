package ai.vq4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.io.Safetensors;
import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.tensor.Device;
import ai.vq4j.checkpoint.VqVaeCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vq4j export --format pytorch} then {@code vq4j import --format pytorch} gives back the checkpoint's
 * model bit for bit (every parameter and the quantizer's state), and each command refuses bad input in one line.
 */
class ExportImportCommandTest {
  @TempDir
  Path dir;

  Path checkpoint(boolean ema) throws Exception {
    VqVaeConfig c = new VqVaeConfig();
    c.imageSize = 8;
    c.hidden = 8;
    c.residualHidden = 4;
    c.residualBlocks = 1;
    c.embeddingDim = 4;
    c.numEmbeddings = 16;
    c.ema = ema;
    c.seed = 5;
    Path file = dir.resolve("checkpoint.safetensors");
    try (VqVae model = new VqVae(c, Device.CPU)) {
      VqVaeCheckpoint.saveModel(file, model);
    }
    return file;
  }

  @Test
  void exportThenImportIsBitExact() throws Exception {
    for (boolean ema : new boolean[] {false, true}) {
      Path original = checkpoint(ema);
      Path torch = dir.resolve("torch.safetensors");
      Path back = dir.resolve("back.safetensors");
      Object[] r = CliTest.cli("export", "--checkpoint", original.toString(), "--format", "pytorch", "--out",
          torch.toString());
      assertEquals(0, r[0], (String) r[1]);
      assertTrue(((String) r[1]).startsWith("exported "), (String) r[1]);
      r = CliTest.cli("import", "--in", torch.toString(), "--format", "pytorch", "--out", back.toString());
      assertEquals(0, r[0], (String) r[1]);
      Safetensors want = Safetensors.read(original);
      Safetensors got = Safetensors.read(back);
      assertEquals(want.tensors().keySet(), got.tensors().keySet());
      for (String t : want.tensors().keySet()) {
        assertArrayEquals(want.shape(t), got.shape(t), t);
        assertArrayEquals(want.floats(t), got.floats(t), t);  // JUnit compares floats bit for bit
      }
      assertEquals(want.metadata().get("model_config"), got.metadata().get("model_config"));
    }
  }

  @Test
  void importTakesTheShapeFromConfigWhenTheFileHasNone() throws Exception {
    Path torch = dir.resolve("torch.safetensors");
    assertEquals(0, CliTest.cli("export", "--checkpoint", checkpoint(false).toString(), "--format", "pytorch",
        "--out", torch.toString())[0]);
    Safetensors st = Safetensors.read(torch);
    Path bare = dir.resolve("bare.safetensors");
    new Safetensors(st.tensors(), java.util.Map.of()).write(bare);
    Object[] r = CliTest.cli("import", "--in", bare.toString(), "--format", "pytorch", "--out",
        dir.resolve("x.safetensors").toString());
    assertEquals(1, r[0]);
    assertTrue(((String) r[1]).contains("has no model_config metadata: give the model's shape with --config"),
        (String) r[1]);
    Path config = dir.resolve("config.json");
    Files.writeString(config, st.metadata().get("model_config"));
    r = CliTest.cli("import", "--in", bare.toString(), "--format", "pytorch", "--config", config.toString(), "--out",
        dir.resolve("x.safetensors").toString());
    assertEquals(0, r[0], (String) r[1]);
  }

  @Test
  void badInputIsOneClearLine() throws Exception {
    Path ck = checkpoint(false);
    Object[] r = CliTest.cli("export", "--checkpoint", ck.toString(), "--format", "onnx", "--out", "x");
    assertEquals(1, r[0]);
    assertEquals("vq4j export: --format onnx: the only format is pytorch", ((String) r[1]).trim());
    // A vq4j checkpoint is not a PyTorch state dict: its names differ ("model." prefix), which import names.
    r = CliTest.cli("import", "--in", ck.toString(), "--format", "pytorch", "--out",
        dir.resolve("y.safetensors").toString());
    assertEquals(1, r[0]);
    assertTrue(((String) r[1]).startsWith("vq4j import: " + ck + ": tensor 'encoder.conv1.weight' is missing"),
        (String) r[1]);
  }
}
