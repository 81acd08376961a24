package ai.vq4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
  @TempDir Path dir;

  private Safetensors sample() {
    Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>();
    tensors.put("w", Safetensors.Entry.of(new float[] {1.5f, -2f, Float.MIN_VALUE, Float.NaN, 0f, -0f}, 2, 3));
    tensors.put("codes", Safetensors.Entry.of(new int[] {3, -1, Integer.MAX_VALUE}, 3));
    return new Safetensors(tensors, Map.of("preset", "sonnet", "step", "12"));
  }

  @Test
  void writeThenReadIsBitExact() throws IOException {
    Path file = dir.resolve("a.safetensors");
    sample().write(file);
    Safetensors back = Safetensors.read(file);
    float[] w = back.floats("w");
    float[] want = sample().floats("w");
    for (int i = 0; i < w.length; i++) {
      assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(w[i]), "bit pattern of w[" + i + "]");
    }
    assertArrayEquals(new int[] {2, 3}, back.shape("w"));
    assertArrayEquals(new int[] {3, -1, Integer.MAX_VALUE}, back.ints("codes"));
    assertEquals("sonnet", back.meta("preset"));
    try (var files = Files.list(dir)) {
      assertEquals(1, files.count(), "no temporary file left behind");
    }
  }

  @Test
  void readsTheGoldenFilesWrittenByPython() throws IOException {
    Safetensors g = Safetensors.read(Path.of("tests", "golden", "data", "vq_quantize.safetensors"));
    assertEquals("vq_quantize", g.meta("op"));
    assertEquals("I32", g.tensors().get("codes").dtype());
    assertEquals(Integer.parseInt(g.meta("rows")), g.ints("codes").length);
  }

  private IOException corrupt(byte[] bytes) throws IOException {
    Path file = dir.resolve("bad.safetensors");
    Files.write(file, bytes);
    IOException e = assertThrows(IOException.class, () -> Safetensors.read(file));
    assertTrue(e.getMessage().contains(file.toString()), "names the file: " + e.getMessage());
    return e;
  }

  private static byte[] withHeader(String json, int dataBytes) {
    byte[] h = json.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    return b.array();
  }

  @Test
  void corruptFilesAreClearErrors() throws IOException {
    Path good = dir.resolve("good.safetensors");
    sample().write(good);
    byte[] bytes = Files.readAllBytes(good);

    assertTrue(corrupt(new byte[3]).getMessage().contains("shorter"));
    assertTrue(corrupt(Arrays.copyOf(bytes, bytes.length - 5)).getMessage().contains("outside"), "truncated data");
    assertTrue(corrupt(Arrays.copyOf(bytes, 20)).getMessage().contains("header length"), "truncated header");
    assertTrue(corrupt(withHeader("{not json", 0)).getMessage().contains("JSON"));
    assertTrue(corrupt(withHeader("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8))
        .getMessage().contains("F64"));
    assertTrue(corrupt(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8))
        .getMessage().contains("needs 12 bytes"));
    assertTrue(corrupt(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8)).getMessage().contains("data_offsets"));
    assertTrue(corrupt(withHeader("{\"__metadata__\":{\"step\":3}}", 0)).getMessage().contains("step"));
  }
}
