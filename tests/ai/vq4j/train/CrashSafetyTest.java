package ai.vq4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.checkpoint.VqVaeCheckpoint;
import ai.vq4j.model.VqVae;
import ai.vq4j.tensor.Device;
import com.google.gson.JsonObject;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 at seeded random moments of a run, of a resume and of a metrics log rewrite (each in a child JVM,
 * {@link CrashChild}), and a run on a full disk (a small tmpfs in a user namespace; skipped, saying why, where
 * one cannot be mounted): afterwards every checkpoint and metrics file loads, and the run resumes to its end.
 */
class CrashSafetyTest {
  static final long SEED = 20261202;

  @TempDir
  Path dir;

  final Random random = new Random(SEED);

  static List<String> java(String... args) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dorg.bytedeco.javacpp.cachedir=" + System.getProperty("org.bytedeco.javacpp.cachedir",
            System.getProperty("user.home") + "/.javacpp/cache"),
        "-XX:TieredStopAtLevel=1", "-Xss4m", "-cp", System.getProperty("java.class.path"), CrashChild.class.getName()));
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** Starts the child, waits for its "ready", lets it go on for a random while, then kills it (SIGKILL). */
  void killAtRandom(List<String> cmd, int maxDelayMs) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder seen = new StringBuilder();
    String line;
    while ((line = out.readLine()) != null && !line.equals("ready")) {
      seen.append(line).append('\n');
    }
    assertTrue(line != null, "the child got ready:\n" + seen);
    Thread.sleep(random.nextInt(maxDelayMs));
    p.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no finally blocks
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
  }

  /** After a kill: the checkpoint (if one was written) loads, the log reads, and the run resumes to its end. */
  void assertResumable(Path out) throws IOException {
    Path ck = out.resolve(VqVaeRun.CHECKPOINT);
    List<JsonObject> log = MetricsLog.read(out.resolve(Run.METRICS));
    if (!Files.exists(ck)) {
      return; // killed before the first checkpoint: nothing to resume, a new run starts over
    }
    long step = VqVaeCheckpoint.read(ck).step();
    try (VqVae m = VqVaeCheckpoint.loadModel(ck, Device.CPU)) {
      assertTrue(m.parameterCount() > 0);
    }
    assertTrue(log.size() >= step, "the log holds at least the checkpoint's " + step + " steps: " + log.size());
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    Run.Result r = new VqVaeRun(out, Device.CPU, quiet).resume(new Run.Overrides(step + 2, null), false);
    assertEquals(step + 2, r.steps());
    List<JsonObject> after = MetricsLog.read(out.resolve(Run.METRICS));
    assertEquals(step + 2, after.size(), "the log reads as one run after the resume");
    for (int i = 0; i < after.size(); i++) {
      assertEquals(i + 1, after.get(i).get("step").getAsLong());
    }
  }

  @Test
  void killedRunsAndResumesLeaveLoadableFilesAndResume() throws Exception {
    Path data = TinyImageFolder.write(dir.resolve("images"), 12, 4, 8);
    for (int i = 0; i < 2; i++) {
      Path out = dir.resolve("run" + i);
      killAtRandom(java("run", out.toString(), data.toString(), "100000"), 1500);
      assertResumable(out);
    }
    Path out = dir.resolve("resume");
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    new VqVaeRun(out, Device.CPU, quiet).start(CrashChild.model(), CrashChild.train(data, 3, 1), false);
    killAtRandom(java("resume", out.toString(), "100000"), 1500);
    assertResumable(out);
  }

  @Test
  void aKilledMetricsRewriteLeavesTheOldLogOrTheNewOne() throws Exception {
    int lines = 30_000;
    for (int i = 0; i < 2; i++) {
      Path log = dir.resolve("metrics" + i + ".jsonl");
      try (MetricsLog m = MetricsLog.create(log)) {
        for (int s = 1; s <= lines; s++) {
          m.append(new PriorStepMetrics(s, 1.0 / s, 1.4 / s), s);
        }
      }
      killAtRandom(java("rewrite", log.toString(), Integer.toString(lines)), 800);
      List<JsonObject> records = MetricsLog.read(log);
      long kept = records.size();
      assertTrue(kept == lines || (lines - 1 - kept) % 7 == 0, "a whole rewrite's lines, got " + kept);
      for (int s = 0; s < kept; s++) {
        assertEquals(s + 1, records.get(s).get("step").getAsLong());
      }
      MetricsLog.resume(log, kept).close();
    }
  }

  @Test
  void aFullDiskFailsNamingTheFileAndTheRunResumesOnceThereIsRoom() throws Exception {
    Assumptions.assumeTrue(new File("/usr/bin/unshare").canExecute(), "no /usr/bin/unshare: full-disk test skipped");
    Path data = TinyImageFolder.write(dir.resolve("images"), 12, 4, 8);
    Path disk = Files.createDirectories(dir.resolve("disk"));
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/unshare", "-rm", "sh", "-c",
        "mount -t tmpfs -o size=4m none \"$0\" && shift && exec \"$@\"", disk.toString(), "unused"));
    cmd.addAll(java("fulldisk", disk.resolve("run").toString(), data.toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child finished");
    Assumptions.assumeFalse(log.contains("unshare:") || log.contains("mount:"),
        () -> "cannot mount a small tmpfs here (user namespaces off?), full-disk test skipped: " + log);
    assertEquals(0, p.exitValue(), log);
    assertTrue(log.contains("failed: ") && log.contains("No space left on device"), log);
    String failure = log.substring(log.indexOf("failed: ")).lines().findFirst().orElseThrow();
    assertTrue(failure.contains(disk.resolve("run").toString()), "the error names the file: " + failure);
    assertTrue(log.contains("resumed from "), log);
  }
}
