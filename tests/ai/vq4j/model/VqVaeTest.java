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
