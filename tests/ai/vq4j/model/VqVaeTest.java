package ai.vq4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.nn.Parameter;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The presets have the published shapes; configs validate and round-trip; bad inputs are refused. */
class VqVaeTest {
  static long count(VqVae m, String prefix) {
    return m.parameters().stream().filter(p -> p.name().startsWith(prefix)).mapToLong(p -> p.value().size()).sum();
  }

  @Test
  void sonnetPresetHasSonnetsParameterCounts() {
    // Sonnet's VQ-VAE example has about 0.70 M parameters for C = 3 (encoder 372 k, decoder 290 k, codebook
    // 32.8 k).
    try (VqVae m = new VqVae(VqVaeConfig.sonnet(3), Device.CPU)) {
      assertEquals(372_416, count(m, "encoder."));
      assertEquals(290_307, count(m, "decoder."));
      assertEquals(32_768, count(m, "quantizer."));
      assertEquals(695_491, m.parameterCount());
      Set<String> names = new HashSet<>();
      for (Parameter p : m.parameters()) {
        assertTrue(names.add(p.name()), "unique parameter name " + p.name());
      }
    }
  }

  @Test
  void paperPresetMapsImagesToEightByEightLatentsAndBack() {
    VqVaeConfig c = VqVaeConfig.paper(3);
    assertEquals(256, c.hidden);
    assertEquals(8, c.latentSize());
    try (VqVae m = new VqVae(c, Device.CPU);
         Tensor x = Tensor.zeros(Device.CPU, DType.FLOAT32, 2, 32, 32, 3)) {
      assertArrayEquals(new int[] {2, 8, 8, 256}, m.encode(x).shape());
      assertArrayEquals(new int[] {2, 32, 32, 3}, m.forward(x, false).shape());
      assertArrayEquals(new int[] {2, 8, 8}, m.quantizer().codes().shape());
      // No stem: two strided convs and the residual blocks only.
      assertTrue(m.parameters().stream().noneMatch(p -> p.name().startsWith("encoder.pre_vq")));
    }
  }

  @Test
  void configRoundTripsAndNamesTheBadField() {
    VqVaeConfig c = VqVaeConfig.sonnet(1);
    c.ema = true;
    c.numEmbeddings = 77;
    VqVaeConfig back = VqVaeConfig.fromJson(c.toJson());
    assertEquals(c.toJson(), back.toJson());
    VqVaeConfig bad = VqVaeConfig.sonnet(1);
    bad.imageSize = 30;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, bad::validate);
    assertTrue(e.getMessage().contains("imageSize"), e.getMessage());
    VqVaeConfig paper = VqVaeConfig.paper(3);
    paper.embeddingDim = 64;
    e = assertThrows(IllegalArgumentException.class, paper::validate);
    assertTrue(e.getMessage().contains("embeddingDim"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> VqVaeConfig.fromJson("{not json"));
    assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> VqVaeConfig.preset("huge", 1));
    assertTrue(e.getMessage().contains("huge"), e.getMessage());
  }

  /**
   * --downsample 8 and 16 add stride-2 stages (encoder.down.i, decoder.up.i) on 64x64 colour images: the grid is
   * 8x8 or 4x4, the reconstruction 64x64, codes decode to what the forward reconstructs, and a config written
   * before the field reads as 4 (the two-stage net, unchanged).
   */
  @Test
  void downsamplingFactorSetsTheGridAndAddsStages() {
    for (int ds : new int[] {8, 16}) {
      VqVaeConfig c = VqVaeConfig.sonnet(3);
      c.hidden = 8;
      c.residualHidden = 4;
      c.numEmbeddings = 16;
      c.embeddingDim = 4;
      c.imageSize = 64;
      c.downsample = ds;
      int g = 64 / ds;
      assertEquals(g, c.latentSize());
      try (VqVae m = new VqVae(c, Device.CPU);
           Tensor x = Tensor.of(Device.CPU, noise(2 * 64 * 64 * 3), 2, 64, 64, 3)) {
        assertArrayEquals(new int[] {2, g, g, 4}, m.encode(x).shape());
        float[] recon = m.forward(x, false).toFloatArray();
        assertEquals(2 * 64 * 64 * 3, recon.length);
        try (Tensor codes = Tensor.ofInts(Device.CPU, m.quantizer().codes().toIntArray(), 2, g, g)) {
          assertArrayEquals(recon, m.decodeCodes(codes).toFloatArray());
        }
        int extra = ds == 8 ? 1 : 2;
        for (String prefix : new String[] {"encoder.down.", "decoder.up."}) {
          assertEquals(extra, m.parameters().stream().filter(p -> p.name().startsWith(prefix) && p.name().endsWith(
              ".weight")).count(), prefix);
        }
        assertEquals(m.parameterCount(), c.parameterCount());
      }
    }
    String json = VqVaeConfig.sonnet(1).toJson().replaceAll("(?s)\\s*\"downsample\": 4,", "");
    assertTrue(!json.contains("downsample"), json);
    VqVaeConfig old = VqVaeConfig.fromJson(json);
    assertEquals(4, old.downsample);
    try (VqVae m = new VqVae(old, Device.CPU)) {
      assertTrue(m.parameters().stream().noneMatch(p -> p.name().contains(".down.") || p.name().contains(".up.")));
      assertEquals(8, old.latentSize());
    }
    VqVaeConfig bad = VqVaeConfig.sonnet(3);
    bad.imageSize = 36;
    bad.downsample = 8;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, bad::validate);
    assertTrue(e.getMessage().contains("imageSize") && e.getMessage().contains("multiple of the downsampling factor 8"),
        e.getMessage());
    bad.imageSize = 64;
    bad.downsample = 2;
    e = assertThrows(IllegalArgumentException.class, bad::validate);
    assertTrue(e.getMessage().contains("downsample must be 4, 8 or 16"), e.getMessage());
  }

  private static float[] noise(int n) {
    ai.vq4j.tensor.Rng rng = new ai.vq4j.tensor.Rng(6);
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) rng.nextDouble() - 0.5f;
    }
    return out;
  }

  private static void assertDecodesItsOwnCodes(VqVaeConfig c) {
    try (VqVae m = new VqVae(c, Device.CPU);
         Tensor x = Tensor.of(Device.CPU, noise(2 * 32 * 32), 2, 32, 32, 1)) {
      float[] recon = m.forward(x, false).toFloatArray();
      try (Tensor codes = Tensor.ofInts(Device.CPU, m.quantizer().codes().toIntArray(), 2, 8, 8)) {
        assertArrayEquals(recon, m.decodeCodes(codes).toFloatArray());
      }
    }
  }

  /** l2 codes decode from their normalised rows, as the forward does; EMA is refused with them. */
  @Test
  void l2CodesModelDecodesItsOwnCodes() {
    VqVaeConfig c = VqVaeConfig.sonnet(1);
    c.hidden = 8;
    c.residualHidden = 4;
    c.embeddingDim = 8;
    c.numEmbeddings = 16;
    c.l2Codes = true;
    assertDecodesItsOwnCodes(c);
    c.ema = true;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, c::validate);
    assertTrue(e.getMessage().contains("l2Codes"), e.getMessage());
  }

  /** A config written before the quantizer options reads as the plain/EMA straight-through quantizer. */
  @Test
  void olderConfigsReadAsStraightThroughCodebooks() {
    VqVaeConfig c = VqVaeConfig.sonnet(1);
    c.ema = true;
    String old = c.toJson().replaceAll("(?s),\\s*\"gradient\": \"[^\"]*\"", "")
        .replaceAll("(?s),\\s*\"fsqLevels\": \\[\\s*\\]", "");
    assertTrue(!old.contains("gradient") && !old.contains("fsqLevels"), old);
    VqVaeConfig back = VqVaeConfig.fromJson(old);
    assertEquals("straight-through", back.gradient);
    assertEquals(0, back.fsqLevels.length);
    try (VqVae m = new VqVae(back, Device.CPU)) {
      assertTrue(m.quantizer() instanceof ai.vq4j.nn.EmaCodebookQuantizer);
      assertEquals(ai.vq4j.nn.Quantizer.Gradient.STRAIGHT_THROUGH, m.quantizer().gradient());
    }
  }

  /** FSQ's codes decode to what the model reconstructs from; its config must agree with its levels. */
  @Test
  void fsqModelDecodesItsOwnCodes() {
    VqVaeConfig c = VqVaeConfig.sonnet(1);
    c.hidden = 8;
    c.residualHidden = 4;
    c.fsqLevels = new int[] {8, 5, 5, 5};
    c.embeddingDim = 4;
    c.numEmbeddings = 1000;
    c.initCodebookFromData = false;
    c.restartDeadCodes = false;
    assertDecodesItsOwnCodes(c);
    c.numEmbeddings = 999;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, c::validate);
    assertTrue(e.getMessage().contains("numEmbeddings") && e.getMessage().contains("1000"), e.getMessage());
    c.numEmbeddings = 1000;
    c.ema = true;
    e = assertThrows(IllegalArgumentException.class, c::validate);
    assertTrue(e.getMessage().contains("ema"), e.getMessage());
  }

  @Test
  void wrongImagesAreRefusedBeforeNativeCode() {
    try (VqVae m = new VqVae(VqVaeConfig.sonnet(1), Device.CPU);
         Tensor rgb = Tensor.zeros(Device.CPU, DType.FLOAT32, 1, 32, 32, 3);
         Tensor small = Tensor.zeros(Device.CPU, DType.FLOAT32, 1, 28, 28, 1);
         Tensor codes = Tensor.zeros(Device.CPU, DType.INT32, 1, 4, 4)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.forward(rgb, false));
      assertTrue(e.getMessage().contains("float32[N, 32, 32, 1]") && e.getMessage().contains("[1, 32, 32, 3]"),
          e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> m.forward(small, true));
      e = assertThrows(IllegalArgumentException.class, () -> m.decodeCodes(codes));
      assertTrue(e.getMessage().contains("int32[N, 8, 8]"), e.getMessage());
    }
  }
}
