package ai.vq4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The prior configs' JSON is what every prior checkpoint stores ("model_config"): its field names, order and
 * layout are a file format. The literals below are what vq4j wrote before the configs shared their fields, so
 * files written then still load and files written now are byte-identical.
 */
class PriorConfigJsonTest {
  static final String PIXELCNN = """
      {
        "numCodes": 300,
        "gridSize": 6,
        "hidden": 32,
        "layers": 5,
        "kernelSize": 5,
        "firstKernelSize": 7,
        "outputHidden": 128,
        "numClasses": 10,
        "seed": 7
      }""";

  static final String TRANSFORMER = """
      {
        "numCodes": 300,
        "gridSize": 6,
        "width": 64,
        "depth": 3,
        "heads": 4,
        "mlpRatio": 2,
        "numClasses": 10,
        "dropout": 0.1,
        "seed": 7
      }""";

  @Test
  void pixelCnnConfigIsWrittenAsBefore() {
    PixelCnnConfig c = PixelCnnConfig.forCodes(300, 6, 10);
    c.hidden = 32;
    c.layers = 5;
    c.kernelSize = 5;
    c.outputHidden = 128;
    c.seed = 7;
    assertWrittenAndReadBack(PriorKind.PIXELCNN, c, PIXELCNN);
  }

  @Test
  void transformerConfigIsWrittenAsBefore() {
    TransformerConfig c = TransformerConfig.gptSmall(300, 6, 10);
    c.width = 64;
    c.depth = 3;
    c.heads = 4;
    c.mlpRatio = 2;
    c.dropout = 0.1;
    c.seed = 7;
    assertWrittenAndReadBack(PriorKind.TRANSFORMER, c, TRANSFORMER);
  }

  /** c writes json, and json reads back to a config that writes it again, with 300 codes on 6x6 and 10 classes. */
  private static void assertWrittenAndReadBack(PriorKind kind, PriorConfig c, String json) {
    assertEquals(json, c.toJson());
    PriorConfig back = kind.parseConfig(json);
    assertEquals(json, back.toJson());
    assertEquals(300, back.numCodes());
    assertEquals(6, back.gridSize());
    assertEquals(10, back.numClasses());
  }

  @Test
  void fitCodesSetsWhatTheAccessorsRead() {
    for (PriorConfig c : new PriorConfig[] {new PixelCnnConfig(), TransformerConfig.gptSmall(1, 1, 0)}) {
      c.fitCodes(17, 4, 3);
      assertEquals(17, c.numCodes(), c.kind().id());
      assertEquals(4, c.gridSize(), c.kind().id());
      assertEquals(3, c.numClasses(), c.kind().id());
      assertTrue(c.toJson().contains("\"numCodes\": 17"), c.toJson());
    }
  }

  @Test
  void badDocumentsAreRefusedByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PixelCnnConfig.fromJson(PIXELCNN.replace("\"gridSize\": 6", "\"gridSize\": 0")));
    assertEquals("prior config field gridSize must be in 1..256, got 0", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> TransformerConfig.fromJson(TRANSFORMER.replace("\"numClasses\": 10", "\"numClasses\": -1")));
    assertEquals("transformer config field numClasses must be in 0..65536, got -1", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TransformerConfig.fromJson("{"));
    assertTrue(e.getMessage().startsWith("transformer config is not valid JSON"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> PixelCnnConfig.fromJson(""));
    assertEquals("prior config is empty", e.getMessage());
  }
}
