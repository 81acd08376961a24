package ai.vq4j.io;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonNull;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.internal.LazilyParsedNumber;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
 * shape and byte range (plus a string-to-string {@code __metadata__}), then the raw little-endian data.
 * Only F32 and I32 tensors are used by vq4j. Reading checks every field and names the file and the field
 * at fault; writing goes to a temporary file that is renamed into place, so a crash never leaves a
 * half-written file under the target name.
 */
public final class Safetensors {
  private static final long MAX_HEADER_BYTES = 64L << 20;
  /** What one Java array holds: the whole file is read into one. */
  private static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8;
  private static final String METADATA = "__metadata__";

  private final Map<String, Entry> tensors;
  private final Map<String, String> metadata;

  /** One tensor: "F32" or "I32", its shape, and its values (float[] or int[]). */
  public static final class Entry {
    private final String dtype;
    private final int[] shape;
    private final Object values;

    private Entry(String dtype, int[] shape, Object values) {
      this.dtype = dtype;
      this.shape = shape.clone();
      this.values = values;
    }

    public static Entry of(float[] values, int... shape) {
      checkCount(values.length, shape);
      return new Entry("F32", shape, values.clone());
    }

    public static Entry of(int[] values, int... shape) {
      checkCount(values.length, shape);
      return new Entry("I32", shape, values.clone());
    }

    private static void checkCount(int length, int[] shape) {
      long count = 1;
      for (int d : shape) {
        if (d < 0) {
          throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
        }
        count = Math.min(count * d, 1L << 31);  // past any array length; never wraps (both factors < 2^32)
      }
      if (count != length) {
        throw new IllegalArgumentException(length + " values do not fill shape " + Arrays.toString(shape));
      }
    }

    public String dtype() {
      return dtype;
    }

    public int[] shape() {
      return shape.clone();
    }

    int count() {
      return values instanceof float[] ? ((float[]) values).length : ((int[]) values).length;
    }
  }

  public Safetensors(Map<String, Entry> tensors, Map<String, String> metadata) {
    this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
  }

  public Map<String, String> metadata() {
    return metadata;
  }

  public Map<String, Entry> tensors() {
    return tensors;
  }

  public boolean has(String name) {
    return tensors.containsKey(name);
  }

  public int[] shape(String name) {
    return entry(name).shape();
  }

  /** The values of an F32 tensor. */
  public float[] floats(String name) {
    Entry e = entry(name);
    if (!(e.values instanceof float[])) {
      throw new IllegalArgumentException("tensor '" + name + "' is " + e.dtype + ", not F32");
    }
    return ((float[]) e.values).clone();
  }

  /** The values of an I32 tensor. */
  public int[] ints(String name) {
    Entry e = entry(name);
    if (!(e.values instanceof int[])) {
      throw new IllegalArgumentException("tensor '" + name + "' is " + e.dtype + ", not I32");
    }
    return ((int[]) e.values).clone();
  }

  /** A metadata value; an exception naming the key when it is absent. */
  public String meta(String key) {
    String v = metadata.get(key);
    if (v == null) {
      throw new IllegalArgumentException("no metadata key '" + key + "' (have " + metadata.keySet() + ")");
    }
    return v;
  }

  private Entry entry(String name) {
    Entry e = tensors.get(name);
    if (e == null) {
      throw new IllegalArgumentException("no tensor '" + name + "' (have " + tensors.keySet() + ")");
    }
    return e;
  }

  /**
   * Reads and checks a file; a malformed one is an IOException naming the file and what is wrong. The rules
   * are those of the reference implementation (huggingface/safetensors): strict JSON without duplicate keys,
   * integer shapes and offsets that fit without wrapping, byte ranges matching dtype and shape that tile the
   * data section exactly (no overlap, no gap, nothing after the last tensor).
   */
  public static Safetensors read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + ": " + (Files.isDirectory(file) ? "is a folder, not a safetensors file"
          : Files.exists(file) ? "not a regular file (a device or pipe cannot be a safetensors file)"
          : "no such file"));
    }
    long size = Files.size(file);
    if (size > MAX_FILE_BYTES) {
      throw new IOException(file + ": is " + size + " bytes; vq4j reads safetensors files of up to "
          + MAX_FILE_BYTES + " bytes (one Java array)");
    }
    byte[] bytes = Files.readAllBytes(file);
    try {
      return parse(bytes);
    } catch (FormatException e) {
      throw new IOException(file + ": not a valid safetensors file: " + e.getMessage(), e);
    }
  }

  private static final class FormatException extends Exception {
    private static final long serialVersionUID = 1L;

    FormatException(String message) {
      super(message);
    }
  }

  private static Safetensors parse(byte[] bytes) throws FormatException {
    if (bytes.length < 8) {
      throw new FormatException("file is " + bytes.length + " bytes, shorter than the 8-byte header length");
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long headerLength = buf.getLong(0);
    if (headerLength < 2 || headerLength > MAX_HEADER_BYTES || headerLength > bytes.length - 8L) {
      throw new FormatException("header length " + Long.toUnsignedString(headerLength) + " does not fit a file of "
          + bytes.length + " bytes (truncated or not safetensors)");
    }
    int dataStart = 8 + (int) headerLength;
    JsonObject header = Json.object(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8));
    int dataLength = bytes.length - dataStart;
    Map<String, String> metadata = new LinkedHashMap<>();
    Map<String, Entry> tensors = new LinkedHashMap<>();
    List<Range> ranges = new ArrayList<>();
    for (Map.Entry<String, JsonElement> field : header.entrySet()) {
      String name = field.getKey();
      if (name.equals(METADATA)) {
        readMetadata(field.getValue(), metadata);
        continue;
      }
      Range r = range(name, field.getValue(), dataLength);
      ranges.add(r);
      tensors.put(name, r.read(buf, dataStart));
    }
    checkTiling(ranges, dataLength);
    return new Safetensors(tensors, metadata);
  }

  /** A tensor's byte range in the data section, as its header entry gives it. */
  private record Range(String name, String dtype, int[] shape, long begin, long end) {
    Entry read(ByteBuffer buf, int dataStart) {
      ByteBuffer slice = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
      slice.position(dataStart + (int) begin);
      int count = (int) ((end - begin) / 4);
      if (dtype.equals("F32")) {
        float[] v = new float[count];
        slice.asFloatBuffer().get(v);
        return new Entry(dtype, shape, v);
      }
      int[] v = new int[count];
      slice.asIntBuffer().get(v);
      return new Entry(dtype, shape, v);
    }
  }

  /** The ranges, sorted by offset, must cover [0, dataLength) exactly once, as the reference reader requires. */
  private static void checkTiling(List<Range> ranges, long dataLength) throws FormatException {
    ranges.sort(Comparator.comparingLong(Range::begin).thenComparingLong(Range::end));
    long at = 0;
    String previous = null;
    for (Range r : ranges) {
      if (r.begin < at) {
        throw new FormatException("tensor '" + r.name + "' bytes [" + r.begin + ", " + r.end + ") overlap tensor '"
            + previous + "' (which ends at " + at + ")");
      }
      if (r.begin > at) {
        throw new FormatException("tensor '" + r.name + "' starts at byte " + r.begin + " but "
            + (previous == null ? "the data section starts at 0" : "tensor '" + previous + "' ends at " + at)
            + ": a gap of " + (r.begin - at) + " bytes");
      }
      at = r.end;
      previous = r.name;
    }
    if (at != dataLength) {
      throw new FormatException("the tensors cover " + at + " data bytes but the file holds " + dataLength
          + " (truncated, or " + (dataLength - at) + " bytes after the last tensor)");
    }
  }

  private static void readMetadata(JsonElement value, Map<String, String> out) throws FormatException {
    if (!value.isJsonObject()) {
      throw new FormatException("__metadata__ is not an object");
    }
    for (Map.Entry<String, JsonElement> m : value.getAsJsonObject().entrySet()) {
      JsonElement v = m.getValue();
      if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
        throw new FormatException("__metadata__ value of '" + m.getKey() + "' is not a string");
      }
      out.put(m.getKey(), v.getAsString());
    }
  }

  private static Range range(String name, JsonElement value, int dataLength) throws FormatException {
    if (!value.isJsonObject()) {
      throw new FormatException("tensor '" + name + "' is not an object");
    }
    JsonObject o = value.getAsJsonObject();
    for (String key : o.keySet()) {
      if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets")) {
        throw new FormatException("tensor '" + name + "' has an unknown field '" + key + "'");
      }
    }
    String dtype = string(o, name, "dtype");
    if (!dtype.equals("F32") && !dtype.equals("I32")) {
      throw new FormatException("tensor '" + name + "' has dtype " + dtype + " (vq4j reads F32 and I32)");
    }
    long[] shapeL = longs(o, name, "shape", -1);
    long[] offsets = longs(o, name, "data_offsets", 2);
    int[] shape = new int[shapeL.length];
    long count = 1;
    for (int i = 0; i < shape.length; i++) {
      if (shapeL[i] > Integer.MAX_VALUE) {
        throw new FormatException("tensor '" + name + "' has dimension " + shapeL[i] + " (at most "
            + Integer.MAX_VALUE + ")");
      }
      shape[i] = (int) shapeL[i];
      count *= shapeL[i];
      if (count > Integer.MAX_VALUE) {
        throw new FormatException("tensor '" + name + "' shape " + Arrays.toString(shapeL) + " is too large");
      }
    }
    long begin = offsets[0];
    long end = offsets[1];
    if (end < begin || end > dataLength) {
      throw new FormatException("tensor '" + name + "' has data_offsets [" + begin + ", " + end
          + "] outside the " + dataLength + " data bytes (truncated file?)");
    }
    if (end - begin != count * 4) {
      throw new FormatException("tensor '" + name + "' " + dtype + " shape " + Arrays.toString(shape) + " needs "
          + count * 4 + " bytes but data_offsets span " + (end - begin));
    }
    return new Range(name, dtype, shape, begin, end);
  }

  private static String string(JsonObject o, String name, String key) throws FormatException {
    JsonElement e = o.get(key);
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
      throw new FormatException("tensor '" + name + "' has no string field '" + key + "'");
    }
    return e.getAsString();
  }

  /** Non-negative integers written as plain digits: 1.0, 1e3, -1 or 2^64 + x are refused, never rounded or wrapped. */
  private static long[] longs(JsonObject o, String name, String key, int length) throws FormatException {
    JsonElement e = o.get(key);
    if (e == null || !e.isJsonArray() || (length >= 0 && e.getAsJsonArray().size() != length)) {
      throw new FormatException("tensor '" + name + "' has no valid '" + key + "' array");
    }
    JsonArray a = e.getAsJsonArray();
    long[] out = new long[a.size()];
    for (int i = 0; i < out.length; i++) {
      JsonElement x = a.get(i);
      String digits = x.isJsonPrimitive() && x.getAsJsonPrimitive().isNumber() ? x.getAsString() : "";
      if (!digits.matches("[0-9]{1,19}")) {
        throw new FormatException("tensor '" + name + "' field '" + key + "' holds " + abbreviate(x.toString())
            + ", not a non-negative integer");
      }
      try {
        out[i] = Long.parseLong(digits);
      } catch (NumberFormatException tooLarge) {
        throw new FormatException("tensor '" + name + "' field '" + key + "' holds " + digits + ", past 2^63 - 1");
      }
    }
    return out;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  /** The header's JSON, read strictly: one object, duplicate keys refused, nesting bounded. */
  private static final class Json {
    private static final int MAX_DEPTH = 16;

    static JsonObject object(String text) throws FormatException {
      try (JsonReader r = new JsonReader(new StringReader(text))) {
        r.setStrictness(Strictness.STRICT);
        if (r.peek() != JsonToken.BEGIN_OBJECT) {
          throw new FormatException("header is not a JSON object");
        }
        JsonElement e = value(r, "the header", 0);
        if (r.peek() != JsonToken.END_DOCUMENT) {
          throw new FormatException("header has data after its JSON object");
        }
        return e.getAsJsonObject();
      } catch (IOException | IllegalStateException | NumberFormatException e) {
        throw new FormatException("header is not valid JSON: " + e.getMessage());
      }
    }

    private static JsonElement value(JsonReader r, String where, int depth) throws IOException, FormatException {
      if (depth > MAX_DEPTH) {
        throw new FormatException("header nests deeper than " + MAX_DEPTH + " levels at " + where);
      }
      switch (r.peek()) {
        case BEGIN_OBJECT: {
          JsonObject o = new JsonObject();
          r.beginObject();
          while (r.hasNext()) {
            String key = r.nextName();
            if (o.has(key)) {
              throw new FormatException("duplicate key '" + key + "' in " + where);
            }
            o.add(key, value(r, "'" + key + "'", depth + 1));
          }
          r.endObject();
          return o;
        }
        case BEGIN_ARRAY: {
          JsonArray a = new JsonArray();
          r.beginArray();
          while (r.hasNext()) {
            a.add(value(r, where, depth + 1));
          }
          r.endArray();
          return a;
        }
        case STRING:
          return new JsonPrimitive(r.nextString());
        case NUMBER:
          return new JsonPrimitive(new LazilyParsedNumber(r.nextString()));
        case BOOLEAN:
          return new JsonPrimitive(r.nextBoolean());
        case NULL:
          r.nextNull();
          return JsonNull.INSTANCE;
        default:
          throw new FormatException("header has unexpected JSON at " + where);
      }
    }
  }

  /** Writes this file atomically: a temporary file beside the target, forced to disk, then renamed. */
  public void write(Path file) throws IOException {
    Map<String, Object> header = new LinkedHashMap<>();
    if (!metadata.isEmpty()) {
      header.put(METADATA, metadata);
    }
    long offset = 0;
    for (Map.Entry<String, Entry> t : tensors.entrySet()) {
      long bytes = t.getValue().count() * 4L;
      Map<String, Object> desc = new LinkedHashMap<>();
      desc.put("dtype", t.getValue().dtype);
      desc.put("shape", t.getValue().shape);
      desc.put("data_offsets", new long[] {offset, offset + bytes});
      header.put(t.getKey(), desc);
      offset += bytes;
    }
    byte[] json = new Gson().toJson(header).getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(8 + padded + offset)).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(padded).put(json);
    for (int i = json.length; i < padded; i++) {
      out.put((byte) ' ');
    }
    for (Entry e : tensors.values()) {
      if (e.values instanceof float[]) {
        for (float f : (float[]) e.values) {
          out.putFloat(f);
        }
      } else {
        for (int v : (int[]) e.values) {
          out.putInt(v);
        }
      }
    }
    out.flip();
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    // One fixed temporary name beside the target: created with the umask's mode (as the renamed file then has),
    // and a copy a crash left behind is overwritten by the next write, or removed when a run starts.
    Path tmp = dir.resolve(file.getFileName() + ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        while (out.hasRemaining()) {
          ch.write(out);
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
