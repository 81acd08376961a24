package ai.vq4j.train;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonParseException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The metrics of every step as JSON lines ({@code {"step":1,"loss":...}}), appended as training goes. A
 * resumed run first drops the lines past the checkpoint's step (written after the last checkpoint by the
 * run that stopped), so the log reads as one uninterrupted run.
 */
public final class MetricsLog implements AutoCloseable {
  private final Path file;
  private final BufferedWriter out;

  private MetricsLog(Path file, BufferedWriter out) {
    this.file = file;
    this.out = out;
  }

  /** A new log (an existing file is replaced). */
  public static MetricsLog create(Path file) throws IOException {
    return new MetricsLog(file, Files.newBufferedWriter(file, StandardCharsets.UTF_8));
  }

  /** Continues a log after step: later lines are dropped first. */
  public static MetricsLog resume(Path file, long step) throws IOException {
    List<String> kept = new ArrayList<>();
    if (Files.exists(file)) {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (!line.isBlank() && stepOf(file, line) <= step) {
          kept.add(line);
        }
      }
    }
    Files.write(file, kept, StandardCharsets.UTF_8);
    return new MetricsLog(file, Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND));
  }

  /** One VQ-VAE step. */
  public void append(StepMetrics m, double elapsedSeconds) throws IOException {
    JsonObject o = new JsonObject();
    o.addProperty("step", m.step());
    o.addProperty("loss", m.loss());
    o.addProperty("recon_mse", m.reconMse());
    o.addProperty("vq_loss", m.vqLoss());
    o.addProperty("perplexity", m.perplexity());
    o.addProperty("dead_codes", m.deadCodes());
    o.addProperty("restarted", m.restarted());
    write(o, elapsedSeconds);
  }

  /** One prior step. */
  public void append(PriorStepMetrics m, double elapsedSeconds) throws IOException {
    JsonObject o = new JsonObject();
    o.addProperty("step", m.step());
    o.addProperty("loss", m.loss());
    o.addProperty("bits_per_code", m.bitsPerCode());
    write(o, elapsedSeconds);
  }

  private void write(JsonObject o, double elapsedSeconds) throws IOException {
    o.addProperty("elapsed_s", elapsedSeconds);
    out.write(o.toString());
    out.newLine();
  }

  public void flush() throws IOException {
    out.flush();
  }

  public Path file() {
    return file;
  }

  /** Every record of a log file, in order. */
  public static List<JsonObject> read(Path file) throws IOException {
    List<JsonObject> records = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        records.add(parse(file, line));
      }
    }
    return records;
  }

  private static long stepOf(Path file, String line) throws IOException {
    JsonObject o = parse(file, line);
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

  @Override
  public void close() throws IOException {
    out.close();
  }
}
