package ai.vq4j.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.checkpoint.VqVaeCheckpoint;
import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host-application API: images to codes and back through a checkpoint, agreeing with the model. */
class VqVaeCodecTest {
  @TempDir
  Path dir;

  static VqVaeConfig small() {
    VqVaeConfig c = VqVaeConfig.sonnet(1);
    c.hidden = 16;
    c.residualHidden = 8;
    c.embeddingDim = 8;
    c.numEmbeddings = 32;
    return c;
  }

  @Test
  void encodesDecodesAndReconstructsLikeTheModel() throws Exception {
    Path ck = dir.resolve("m.safetensors");
    float[] image = new float[32 * 32];
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        image[y * 32 + x] = ((x / 4 + y / 4) % 2 == 0 ? 255 : 0) / 255f - 0.5f;
      }
    }
    int[] modelCodes;
    float[] modelRecon;
    try (VqVae model = new VqVae(small(), Device.CPU);
         Tensor x = Tensor.of(Device.CPU, image, 1, 32, 32, 1)) {
      modelRecon = model.forward(x, false).toFloatArray();
      modelCodes = model.quantizer().codes().toIntArray();
      VqVaeCheckpoint.saveModel(ck, model);
    }
    try (VqVaeCodec codec = VqVaeCodec.load(ck, Device.CPU)) {
      assertEquals(8, codec.gridSize());
      int[][] grid = codec.encode(image);
      for (int r = 0; r < 8; r++) {
        for (int c = 0; c < 8; c++) {
          assertEquals(modelCodes[r * 8 + c], grid[r][c]);
        }
      }
      assertArrayEquals(modelRecon, codec.reconstruct(image));
      // Decoding the codes is the reconstruction: the decoder sees the same codebook rows.
      assertArrayEquals(modelRecon, codec.decodeToFloats(grid));
      BufferedImage img = codec.decode(grid);
      assertEquals(32, img.getWidth());
      // The same picture as a 32x32 grey BufferedImage gives the same codes.
      BufferedImage grey = new BufferedImage(32, 32, BufferedImage.TYPE_BYTE_GRAY);
      for (int y = 0; y < 32; y++) {
        for (int x = 0; x < 32; x++) {
          grey.getRaster().setSample(x, y, 0, Math.round((image[y * 32 + x] + 0.5f) * 255));
        }
      }
      assertArrayEquals(grid, codec.encode(grey));
      // A 28x28 picture is centred on black, as Fashion-MNIST is padded.
      BufferedImage small = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
      small.getRaster().setSample(0, 0, 0, 255);
      float[] input = codec.toModelInput(small);
      assertEquals(0.5f, input[2 * 32 + 2]);
      assertEquals(-0.5f, input[0]);
      assertEquals(-0.5f, input[31 * 32 + 31]);
      // A larger RGB picture is scaled down to the model's side.
      BufferedImage big = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
      assertEquals(1024, codec.toModelInput(big).length);

      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> codec.encode(new float[10]));
      assertTrue(e.getMessage().contains("32x32x1"), e.getMessage());
      int[][] bad = new int[8][8];
      bad[3][4] = 32;
      e = assertThrows(IllegalArgumentException.class, () -> codec.decode(bad));
      assertTrue(e.getMessage().contains("(3, 4)"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> codec.decode(new int[7][8]));
    }
  }
}
