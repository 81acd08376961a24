package ai.vq4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.nn.Parameter;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The code cache: encoding a dataset gives the codes the VQ-VAE's quantizer assigns, save and load round-trip
 * exactly, and a cache of a checkpoint that has since changed is refused as stale.
 */
class CodeDatasetTest {
  static final Device CPU = Device.CPU;

  @TempDir
  Path dir;

  static VqVaeConfig tiny() {
    VqVaeConfig c = VqVaeConfig.sonnet(1);
    c.imageSize = 12;
    c.hidden = 8;
    c.residualHidden = 4;
    c.residualBlocks = 1;
    c.embeddingDim = 3;
    c.numEmbeddings = 7;
    c.seed = 3;
    return c;
  }

  static float[] images(int count, int s, long seed) {
    Random r = new Random(seed);
    float[] x = new float[count * s * s];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextFloat() - 0.5f;
    }
    return x;
  }

  @Test
  void encodeSaveLoadAndStaleness() throws IOException {
    Path ckpt = dir.resolve("vqvae.safetensors");
    Path cache = dir.resolve("codes.safetensors");
    int count = 11;
    float[] x = images(count, 12, 1);
    int[] labels = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0};
    try (VqVae vae = new VqVae(tiny(), CPU)) {
      VqVaeCheckpoint.saveModel(ckpt, vae);
      CodeDataset.Source source = CodeDataset.Source.of(ckpt);
      assertEquals(-1, source.step());
      assertEquals(CodeDataset.sha256(ckpt), source.sha256());
      CodeDataset d = CodeDataset.encode(vae, x, count, labels, 4, source);  // batches of 4, 4, 3
      assertEquals(3, d.gridSize());
      assertEquals(7, d.numCodes());
      try (Tensor all = Tensor.of(CPU, x, count, 12, 12, 1)) {
        vae.quantizer().forward(vae.encode(all), false);
        assertArrayEquals(vae.quantizer().codes().toIntArray(), d.codes(), "codes of one big batch");
      }
      d.save(cache);
      CodeDataset back = CodeDataset.load(cache, ckpt);
      assertArrayEquals(d.codes(), back.codes());
      assertArrayEquals(labels, back.labels());
      assertEquals(source, back.source());
      assertEquals(count, back.count());
      CodeDataset part = back.slice(2, 5);
      assertArrayEquals(Arrays.copyOfRange(d.codes(), 18, 45), part.codes());
      assertArrayEquals(new int[] {2, 3, 4}, part.labels());

      // The checkpoint is retrained (here: one weight changes) and saved again: the cache is stale.
      Parameter p = vae.parameters().get(0);
      float[] w = p.value().toFloatArray();
      w[0] += 0.5f;
      p.value().copyFrom(w);
      VqVaeCheckpoint.saveModel(ckpt, vae);
      IOException e = assertThrows(IOException.class, () -> CodeDataset.load(cache, ckpt));
      assertTrue(e.getMessage().contains("stale") && e.getMessage().contains(cache.toString()), e.getMessage());
      CodeDataset.load(cache);  // still readable without the check
    }
  }

  @Test
  void unlabelledAndSourcelessCaches() throws IOException {
    Path cache = dir.resolve("plain.safetensors");
    CodeDataset d = new CodeDataset(new int[] {0, 1, 2, 3, 3, 2, 1, 0}, null, 2, 2, 4, null);
    d.save(cache);
    CodeDataset back = CodeDataset.load(cache);
    assertNull(back.labels());
    assertNull(back.source());
    assertArrayEquals(d.codes(), back.codes());
    Path ckpt = dir.resolve("vqvae.safetensors");
    try (VqVae vae = new VqVae(tiny(), CPU)) {
      VqVaeCheckpoint.saveModel(ckpt, vae);
    }
    IOException e = assertThrows(IOException.class, () -> CodeDataset.load(cache, ckpt));
    assertTrue(e.getMessage().contains("names no VQ-VAE checkpoint"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new CodeDataset(new int[] {0, 4}, null, 1, 1, 4, null));
    assertThrows(IllegalArgumentException.class, () -> new CodeDataset(new int[] {0, 1, 2}, null, 1, 1, 4, null));
  }

  @Test
  void damagedCachesNameTheFile() throws IOException {
    Path cache = dir.resolve("codes.safetensors");
    new CodeDataset(new int[] {0, 1, 2, 3}, new int[] {1}, 1, 2, 4, null).save(cache);
    byte[] b = Files.readAllBytes(cache);
    Path cut = dir.resolve("cut.safetensors");
    Files.write(cut, Arrays.copyOf(b, b.length - 3));
    IOException e = assertThrows(IOException.class, () -> CodeDataset.load(cut));
    assertTrue(e.getMessage().contains(cut.toString()), e.getMessage());
    Path other = dir.resolve("other.safetensors");
    try (VqVae vae = new VqVae(tiny(), CPU)) {
      VqVaeCheckpoint.saveModel(other, vae);
    }
    e = assertThrows(IOException.class, () -> CodeDataset.load(other));
    assertTrue(e.getMessage().contains(other.toString()) && e.getMessage().contains("not a vq4j code cache"),
        e.getMessage());
  }
}
