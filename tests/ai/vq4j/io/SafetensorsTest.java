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

  private static String tensor(String name, String dtype, String shape, String offsets) {
    return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
  }

  /** What the reference reader (huggingface/safetensors) refuses, we refuse too, naming the tensor. */
  @Test
  void rangesMustTileTheDataExactlyOnce() throws IOException {
    String a = tensor("a", "F32", "[2]", "[0,8]");
    assertTrue(corrupt(withHeader("{" + a + "," + tensor("b", "F32", "[2]", "[0,8]") + "}", 8)).getMessage()
        .matches(".*tensor '[ab]' bytes \\[0, 8\\) overlap tensor '[ab]'.*"), "duplicated range");
    assertTrue(corrupt(withHeader("{" + a + "," + tensor("b", "F32", "[2]", "[4,12]") + "}", 12)).getMessage()
        .contains("overlap"), "overlapping ranges");
    assertTrue(corrupt(withHeader("{" + a + "," + tensor("b", "F32", "[1]", "[12,16]") + "}", 16)).getMessage()
        .contains("tensor 'b' starts at byte 12 but tensor 'a' ends at 8: a gap of 4 bytes"), "a hole");
    assertTrue(corrupt(withHeader("{" + tensor("a", "F32", "[1]", "[4,8]") + "}", 8)).getMessage()
        .contains("gap"), "a hole at the start");
    assertTrue(corrupt(withHeader("{" + a + "}", 12)).getMessage().contains("4 bytes after the last tensor"),
        "trailing bytes");
    assertTrue(corrupt(withHeader("{" + a + "," + a + "}", 8)).getMessage().contains("duplicate key 'a'"),
        "a duplicated tensor name");
    assertTrue(corrupt(withHeader("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}," + a + "}", 8)).getMessage()
        .contains("duplicate key 'k'"), "a duplicated metadata key");
  }

  @Test
  void numbersThatWouldWrapOrRoundAreRefused() throws IOException {
    String two64 = "18446744073709551616";
    for (String[] bad : new String[][] {
      {"[2]", "[" + two64 + ",18446744073709551624]"},  // 2^64 + 0 and 2^64 + 8: [0, 8] after wrapping
      {"[18446744073709551618]", "[0,8]"},              // 2^64 + 2
      {"[2]", "[0,8.0]"}, {"[2]", "[0,8e0]"}, {"[2.0]", "[0,8]"}, {"[-2]", "[0,8]"}, {"[2]", "[-0,8]"},
      {"[2]", "[0,\"8\"]"}, {"[2]", "[0,9223372036854775808]"}, {"[4294967298]", "[0,8]"},
    }) {
      IOException e = corrupt(withHeader("{" + tensor("w", "F32", bad[0], bad[1]) + "}", 8));
      assertTrue(e.getMessage().contains("tensor 'w'"), String.join(" ", bad) + ": " + e.getMessage());
    }
    // Shapes whose product wraps a long: 2^32 * 2^32 = 2^64 = 0 (mod 2^64), which would match 0 bytes.
    assertTrue(corrupt(withHeader("{" + tensor("w", "F32", "[2147483647,2147483647,4,0]", "[0,0]") + "}", 0))
        .getMessage().contains("too large"));
  }

  @Test
  void headerLengthExtremesAndNonStrictJson() throws IOException {
    for (long length : new long[] {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 32, 100_000_001}) {
      byte[] b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(length).putLong(0).array();
      assertTrue(corrupt(b).getMessage().contains("header length"), "length " + length);
    }
    for (String json : new String[] {"[]", "{}x", "{'a':1}", "{a:1}", "{\"a\":NaN}", "{} {}", "\"s\"",
        "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}"}) {
      assertTrue(corrupt(withHeader(json, 0)).getMessage().contains("header"), json);
    }
    // Deep nesting is refused by depth, never by a StackOverflowError.
    assertTrue(corrupt(withHeader("{\"a\":" + "[".repeat(200_000) + "]".repeat(200_000) + "}", 0)).getMessage()
        .contains("nests deeper"));
  }

  @Test
  void foldersDevicesAndHugeFilesAreRefusedBeforeReading() throws IOException {
    IOException folder = assertThrows(IOException.class, () -> Safetensors.read(dir));
    assertTrue(folder.getMessage().contains(dir + ": is a folder"), folder.getMessage());
    Path zero = Path.of("/dev/zero");
    if (Files.exists(zero)) {
      IOException dev = assertThrows(IOException.class, () -> Safetensors.read(zero));
      assertTrue(dev.getMessage().contains("/dev/zero: not a regular file"), dev.getMessage());
    }
    Path huge = dir.resolve("huge.safetensors");
    try (var ch = java.nio.channels.FileChannel.open(huge, java.nio.file.StandardOpenOption.CREATE_NEW,
        java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.SPARSE)) {
      ch.write(ByteBuffer.wrap(new byte[] {0}), 3L << 30);  // a sparse 3 GiB file: no disk used
    }
    IOException big = assertThrows(IOException.class, () -> Safetensors.read(huge));
    assertTrue(big.getMessage().contains(huge + ": is 3221225473 bytes"), big.getMessage());
    IOException missing = assertThrows(IOException.class, () -> Safetensors.read(dir.resolve("none")));
    assertTrue(missing.getMessage().contains("no such file"), missing.getMessage());
  }
}
