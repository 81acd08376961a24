package ai.vq4j.train;

import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.tensor.Device;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The child JVM of {@link CrashSafetyTest}, killed (kill -9) at a random moment or run on a small full disk.
 * Modes: {@code run <out> <data> <steps>} starts a run, {@code resume <out> <steps>} resumes one, {@code
 * rewrite <log> <lines>} rewrites a metrics log again and again, {@code fulldisk <out> <data>} trains into a
 * filled file system, frees it, resumes and checks. Each prints "ready" once the part to be killed has begun.
 */
public final class CrashChild {
  private CrashChild() {}

  static VqVaeConfig model() {
    return RunFailureTest.tiny();
  }

  static TrainConfig train(Path data, long steps, int checkpointEvery) {
    TrainConfig t = new TrainConfig();
    t.dataset = "folder";
    t.dataDir = data.toString();
    t.batchSize = 4;
    t.steps = steps;
    t.logEvery = 1;
    t.checkpointEvery = checkpointEvery;
    t.seed = 3;
    return t;
  }

  /** Prints "ready" before the first step's output, so the parent's kill lands inside the loop. */
  static PrintStream readyOnFirstLine() {
    return new PrintStream(new OutputStream() {
      boolean said;

      @Override
      public void write(int b) {
        if (!said) {
          said = true;
          System.out.println("ready");
          System.out.flush();
        }
      }
    }, true);
  }

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "run" -> new VqVaeRun(Path.of(args[1]), Device.CPU, readyOnFirstLine())
          .start(model(), train(Path.of(args[2]), Long.parseLong(args[3]), 1), false);
      case "resume" -> new VqVaeRun(Path.of(args[1]), Device.CPU, readyOnFirstLine())
          .resume(new Run.Overrides(Long.parseLong(args[2]), null), false);
      case "rewrite" -> {
        Path log = Path.of(args[1]);
        long lines = Long.parseLong(args[2]);
        System.out.println("ready");
        System.out.flush();
        for (long keep = lines - 1; keep > 0; keep -= 7) {
          MetricsLog.resume(log, keep).close();
        }
      }
      case "fulldisk" -> fullDisk(Path.of(args[1]), Path.of(args[2]));
      default -> throw new IllegalArgumentException(args[0]);
    }
  }

  /** Fills the disk but for a little, trains until a write fails, frees the disk, resumes to the end. */
  static void fullDisk(Path out, Path data) throws IOException {
    // How big a checkpoint is: a one-step run in the same file system, removed again.
    Path probe = out.resolveSibling("probe");
    new VqVaeRun(probe, Device.CPU, new PrintStream(OutputStream.nullOutputStream())).start(model(),
        train(data, 1, 1), false);
    long checkpoint = Files.size(probe.resolve(VqVaeRun.CHECKPOINT));
    try (var files = Files.list(probe)) {
      for (Path f : files.toList()) {
        Files.delete(f);
      }
    }
    Files.delete(probe);
    Files.createDirectories(out);
    Path filler = out.getParent().resolve("filler");
    byte[] block = new byte[4096];
    try (OutputStream f = Files.newOutputStream(filler, StandardOpenOption.CREATE_NEW)) {
      while (true) {
        f.write(block);
      }
    } catch (IOException full) {
      // The disk is full: free room for a checkpoint, its next temporary copy and some metrics, so the run
      // fills the disk again part of the way in.
    }
    long size = Files.size(filler);
    try (var ch = java.nio.channels.FileChannel.open(filler, StandardOpenOption.WRITE)) {
      ch.truncate(Math.max(0, size - 2 * checkpoint - 24_000));
    }
    try {
      new VqVaeRun(out, Device.CPU, System.out).start(model(), train(data, 400, 1), false);
      System.out.println("no failure: the disk never filled");
      return;
    } catch (IOException e) {
      System.out.println("failed: " + e.getMessage());
    }
    Files.delete(filler);
    long step = ai.vq4j.checkpoint.VqVaeCheckpoint.read(out.resolve(VqVaeRun.CHECKPOINT)).step();
    Run.Result r = new VqVaeRun(out, Device.CPU, System.out).resume(new Run.Overrides(step + 3, null), false);
    System.out.println("resumed from " + step + " to " + r.steps() + ", log lines "
        + MetricsLog.read(out.resolve(Run.METRICS)).size());
  }
}
