package ai.vq4j.train;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The metrics of every step as JSON lines ({@code {"step":1,"loss":...,"elapsed_s":...}}), appended as
 * training goes. A resumed run first drops the lines past the checkpoint's step (written after the last
 * checkpoint by the run that stopped), so the log reads as one uninterrupted run, and its {@code elapsed_s}
 * continues from the last kept line. The log is never truncated in place: the kept lines go to a temporary
 * file that is renamed over the log, so a crash leaves either the old log or the new one. A last line cut
 * short (a crash or a full disk during a flush) is dropped when the log is read or resumed.
 */
public final class MetricsLog implements AutoCloseable {
  private final Path file;
  private final BufferedWriter out;
  private final double elapsedBefore;

  private MetricsLog(Path file, BufferedWriter out, double elapsedBefore) {
    this.file = file;
    this.out = out;
    this.elapsedBefore = elapsedBefore;
  }

  /** A new log (an existing file is replaced, atomically). */
  public static MetricsLog create(Path file) throws IOException {
    replace(file, List.of());
    return open(file, 0);
  }

  /** Continues a log after step: later lines and a last line cut short are dropped first. */
  public static MetricsLog resume(Path file, long step) throws IOException {
    List<String> kept = new ArrayList<>();
    double elapsed = 0;
    if (Files.exists(file)) {
      for (String line : lines(file)) {
        JsonObject o = parse(file, line);
        if (stepOf(file, o, line) <= step) {
          kept.add(line);
          elapsed = o.has("elapsed_s") ? o.get("elapsed_s").getAsDouble() : elapsed;
        }
      }
    }
    replace(file, kept);
    return open(file, elapsed);
  }

  private static MetricsLog open(Path file, double elapsedBefore) throws IOException {
    try {
      return new MetricsLog(file, Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND),
          elapsedBefore);
    } catch (IOException e) {
      throw named(file, e);
    }
  }

  /** Writes lines to file.tmp, forces it to disk and renames it over file. */
  private static void replace(Path file, List<String> lines) throws IOException {
    Path tmp = tempOf(file);
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING); Writer w = Channels.newWriter(ch, StandardCharsets.UTF_8)) {
        for (String line : lines) {
          w.write(line);
          w.write('\n');
        }
        w.flush();
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      Files.deleteIfExists(tmp);
      throw named(file, e);
    }
  }

  /** The temporary file a rewrite of the log goes through (a crash may leave it; a run removes it). */
  public static Path tempOf(Path file) {
    return file.resolveSibling(file.getFileName() + ".tmp");
  }

  /** One step's record; elapsedSeconds counts from the start of this process's part of the run. */
  public void append(StepMetrics m, double elapsedSeconds) throws IOException {
    JsonObject o = new JsonObject();
    o.addProperty("step", m.step());
    m.addTo(o);
    o.addProperty("elapsed_s", elapsedBefore + elapsedSeconds);
    try {
      out.write(o.toString());
      out.newLine();
    } catch (IOException e) {
      throw named(file, e);
    }
  }

  public void flush() throws IOException {
    try {
      out.flush();
    } catch (IOException e) {
      throw named(file, e);
    }
  }

  public Path file() {
    return file;
  }

  /** Every record of a log file, in order (a last line cut short is left out). */
  public static List<JsonObject> read(Path file) throws IOException {
    List<JsonObject> records = new ArrayList<>();
    for (String line : lines(file)) {
      records.add(parse(file, line));
    }
    return records;
  }

  /**
   * The non-blank lines of a log, without a last line that is not a whole record: lines are written whole and
   * newline-terminated, so an unterminated last line that does not parse was cut short by a crash or a full
   * disk. Anything else that does not parse is damage, reported by {@link #parse}.
   */
  private static List<String> lines(Path file) throws IOException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw named(file, e);
    }
    List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
    String last = lines.remove(lines.size() - 1);
    if (!last.isBlank() && isRecord(last)) {
      lines.add(last);
    }
    lines.removeIf(String::isBlank);
    return lines;
  }

  private static boolean isRecord(String line) {
    try {
      return JsonParser.parseString(line).isJsonObject();
    } catch (JsonParseException e) {
      return false;
    }
  }

  private static long stepOf(Path file, JsonObject o, String line) throws IOException {
    if (!o.has("step")) {
      throw new IOException(file + ": a metrics line has no step: " + line);
    }
    return o.get("step").getAsLong();
  }

  private static JsonObject parse(Path file, String line) throws IOException {
    try {
      return JsonParser.parseString(line).getAsJsonObject();
    } catch (JsonParseException | IllegalStateException e) {
      throw new IOException(file + ": not a JSON metrics line: " + line, e);
    }
  }

  /** An I/O error that names the log ("No space left on device" alone does not say where). */
  private static IOException named(Path file, IOException e) {
    String m = String.valueOf(e.getMessage());
    return m.contains(file.toString()) ? e : new IOException(file + ": " + m, e);
  }

  @Override
  public void close() throws IOException {
    try {
      out.close();
    } catch (IOException e) {
      throw named(file, e);
    }
  }
}
