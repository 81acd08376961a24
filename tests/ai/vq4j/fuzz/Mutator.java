package ai.vq4j.fuzz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Seeded damage to a valid file: truncation, bit flips, extreme bytes, inserted, deleted and appended bytes,
 * and edits of the format's own fields (big-endian int32 header fields, or the numbers and length of a
 * safetensors JSON header) set to sizes and offsets at the edges of int, long and unsigned 64-bit ranges.
 * {@link #describe()} says what the last mutation did, so a failing case can be reproduced by eye.
 */
final class Mutator {
  private static final int[] EXTREME_INTS = {0, 1, -1, 2, Integer.MAX_VALUE, Integer.MIN_VALUE, 0x7fff, 1 << 15,
    1 << 16, 1 << 24, 0x40000000, 28, 32, 3073};
  private static final String[] EXTREME_NUMBERS = {"0", "1", "-1", "4", "2147483647", "2147483648", "4294967296",
    "9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616",
    "18446744073709551620", "1e3", "8.0", "99999999999999999999999999999", "-0"};
  private static final Pattern NUMBER = Pattern.compile("-?[0-9]+");

  /** How the file's own fields are laid out. */
  enum Fields { NONE, BIG_ENDIAN_INTS, SAFETENSORS_HEADER }

  private final Random rng;
  private final Fields fields;
  private final int[] intFieldOffsets;
  private String what = "";

  Mutator(long seed, Fields fields, int... intFieldOffsets) {
    this.rng = new Random(seed);
    this.fields = fields;
    this.intFieldOffsets = intFieldOffsets;
  }

  String describe() {
    return what;
  }

  byte[] mutate(byte[] in) {
    int kinds = fields == Fields.NONE ? 6 : 8;
    switch (rng.nextInt(kinds)) {
      case 0: {
        int len = rng.nextInt(in.length);
        what = "truncated to " + len + " of " + in.length + " bytes";
        return Arrays.copyOf(in, len);
      }
      case 1: {
        byte[] out = in.clone();
        int flips = 1 + rng.nextInt(8);
        StringBuilder sb = new StringBuilder("bits flipped at");
        for (int i = 0; i < flips; i++) {
          int bit = rng.nextInt(out.length * 8);
          out[bit / 8] ^= (byte) (1 << (bit % 8));
          sb.append(' ').append(bit / 8).append('.').append(bit % 8);
        }
        what = sb.toString();
        return out;
      }
      case 2: {
        byte[] out = in.clone();
        int at = rng.nextInt(out.length);
        byte[] values = {0, (byte) 0xff, 0x7f, (byte) 0x80};
        int n = Math.min(1 + rng.nextInt(4), out.length - at);
        for (int i = 0; i < n; i++) {
          out[at + i] = values[rng.nextInt(values.length)];
        }
        what = n + " extreme bytes at " + at;
        return out;
      }
      case 3: {
        int at = rng.nextInt(in.length + 1);
        byte[] junk = new byte[1 + rng.nextInt(64)];
        rng.nextBytes(junk);
        what = junk.length + " random bytes inserted at " + at;
        return splice(in, at, 0, junk);
      }
      case 4: {
        int at = rng.nextInt(in.length);
        int len = 1 + rng.nextInt(Math.min(64, in.length - at));
        what = len + " bytes deleted at " + at;
        return splice(in, at, len, new byte[0]);
      }
      case 5: {
        int at = rng.nextInt(in.length);
        int len = 1 + rng.nextInt(Math.min(4096, in.length - at));
        what = "bytes " + at + ".." + (at + len) + " appended again";
        return splice(in, in.length, 0, Arrays.copyOfRange(in, at, at + len));
      }
      default:
        return fields == Fields.BIG_ENDIAN_INTS ? editInt(in) : editHeader(in);
    }
  }

  private byte[] editInt(byte[] in) {
    byte[] out = in.clone();
    int off = intFieldOffsets[rng.nextInt(intFieldOffsets.length)];
    int value = rng.nextInt(3) == 0 ? rng.nextInt() : EXTREME_INTS[rng.nextInt(EXTREME_INTS.length)];
    if (off + 4 <= out.length) {
      ByteBuffer.wrap(out).order(ByteOrder.BIG_ENDIAN).putInt(off, value);
    }
    what = "int32 field at " + off + " set to " + value;
    return out;
  }

  /** Edits a number in the JSON header (fixing up the length prefix, or not), or the length prefix itself. */
  private byte[] editHeader(byte[] in) {
    ByteBuffer b = ByteBuffer.wrap(in).order(ByteOrder.LITTLE_ENDIAN);
    long headerLength = b.getLong(0);
    if (rng.nextInt(4) == 0) {
      long[] lengths = {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, headerLength - 1, headerLength + 1, 1L << 32,
        in.length, in.length - 8, 100_000_001};
      long value = lengths[rng.nextInt(lengths.length)];
      byte[] out = in.clone();
      ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value);
      what = "header length set to " + value;
      return out;
    }
    String header = new String(in, 8, (int) headerLength, StandardCharsets.UTF_8);
    List<int[]> numbers = new ArrayList<>();
    Matcher m = NUMBER.matcher(header);
    while (m.find()) {
      // Inside metadata strings, numbers are text (a step count, a config) and may be edited too.
      numbers.add(new int[] {m.start(), m.end()});
    }
    int[] span = numbers.get(rng.nextInt(numbers.size()));
    String value = EXTREME_NUMBERS[rng.nextInt(EXTREME_NUMBERS.length)];
    String edited = header.substring(0, span[0]) + value + header.substring(span[1]);
    boolean fixLength = rng.nextInt(5) != 0;
    what = "header number '" + header.substring(span[0], span[1]) + "' at " + span[0] + " set to " + value
        + (fixLength ? "" : " (length prefix left stale)");
    byte[] h = edited.getBytes(StandardCharsets.UTF_8);
    ByteBuffer out = ByteBuffer.allocate(8 + h.length + in.length - 8 - (int) headerLength).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(fixLength ? h.length : headerLength).put(h).put(in, 8 + (int) headerLength, in.length - 8 - (int) headerLength);
    return out.array();
  }

  private static byte[] splice(byte[] in, int at, int remove, byte[] insert) {
    byte[] out = new byte[in.length - remove + insert.length];
    System.arraycopy(in, 0, out, 0, at);
    System.arraycopy(insert, 0, out, at, insert.length);
    System.arraycopy(in, at + remove, out, at + insert.length, in.length - at - remove);
    return out;
  }
}
