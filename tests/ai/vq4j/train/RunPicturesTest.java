package ai.vq4j.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.model.PixelCnnConfig;
import ai.vq4j.tensor.Device;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A long run can be watched (issue 15 item 4): the pictures are there after the first checkpoint, before the
 * run ends, and the progress line shows elapsed time, ETA, images/s and the device.
 */
class RunPicturesTest {
  @TempDir
  Path dir;

  /** A progress stream that, when the line of step 3 is printed, notes which of the files exist at that moment. */
  static final class Watch extends OutputStream {
    final ByteArrayOutputStream all = new ByteArrayOutputStream();
    final List<String> missingAtStep3 = new ArrayList<>();
    final Path[] files;
    boolean seen;

    Watch(Path... files) {
      this.files = files;
    }

    @Override
    public void write(int b) {
      all.write(b);
      String text = all.toString(StandardCharsets.UTF_8);
      if (!seen && text.contains("step      3/")) {
        seen = true;
        for (Path f : files) {
          if (!Files.isRegularFile(f)) {
            missingAtStep3.add(f.getFileName().toString());
          }
        }
      }
    }
  }

  @Test
  void picturesAreRefreshedAtEveryCheckpointWhileTheRunGoesOn() throws IOException {
    Path data = TinyImageFolder.write(dir.resolve("images"), 12, 4, 8);
    Path out = dir.resolve("vae");
    Watch w = new Watch(out.resolve("loss.png"), out.resolve("reconstructions.png"), out.resolve("code_usage.png"));
    TrainConfig t = CrashChild.train(data, 4, 2);
    new VqVaeRun(out, Device.CPU, new PrintStream(w, true, StandardCharsets.UTF_8)).start(CrashChild.model(), t,
        false);
    assertTrue(w.seen, w.all.toString(StandardCharsets.UTF_8));
    assertTrue(w.missingAtStep3.isEmpty(), "missing after the step-2 checkpoint: " + w.missingAtStep3);
    String line = w.all.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("step      3/"))
        .findFirst().orElseThrow();
    for (String part : new String[] {"steps/s", "images/s", "elapsed", "ETA", Device.CPU.toString()}) {
      assertTrue(line.contains(part), "progress shows " + part + ": " + line);
    }

    Path prior = dir.resolve("prior");
    Watch p = new Watch(prior.resolve("loss.png"), prior.resolve("samples.png"));
    PriorTrainConfig pt = new PriorTrainConfig();
    pt.vqvae = out.resolve(VqVaeRun.CHECKPOINT).toString();
    pt.dataset = "folder";
    pt.dataDir = data.toString();
    pt.batchSize = 4;
    pt.steps = 4;
    pt.logEvery = 1;
    pt.checkpointEvery = 2;
    PixelCnnConfig pc = new PixelCnnConfig();
    pc.hidden = 4;
    pc.layers = 1;
    pc.outputHidden = 8;
    new PriorRun(prior, Device.CPU, new PrintStream(p, true, StandardCharsets.UTF_8)).start(pc, pt, false);
    assertTrue(p.seen, p.all.toString(StandardCharsets.UTF_8));
    assertTrue(p.missingAtStep3.isEmpty(), "missing after the step-2 checkpoint: " + p.missingAtStep3);
  }
}
