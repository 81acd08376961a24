package ai.vq4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.vq4j.checkpoint.CodeDataset;
import ai.vq4j.checkpoint.VqVaeCheckpoint;
import ai.vq4j.data.Datasets;
import ai.vq4j.io.Safetensors;
import ai.vq4j.model.VqVae;
import ai.vq4j.tensor.Device;
import ai.vq4j.train.MetricsLog;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line end to end on real Fashion-MNIST with a small model: train writes every promised file,
 * --resume continues to the same weights as an uninterrupted run, eval and reconstruct work from the
 * checkpoint, and bad input is one clear line and a non-zero exit.
 */
class CliTest {
  static final String[] SMALL = {"--hidden", "16", "--residual-hidden", "8", "--codes", "32", "--code-dim", "8",
      "--batch-size", "16", "--log-every", "2", "--checkpoint-every", "3"};

  @TempDir
  static Path dir;

  @BeforeAll
  static void data() {
    assumeTrue(Files.exists(Datasets.FASHION_MNIST_DIR.resolve("train-images-idx3-ubyte.gz")),
        "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
  }

  static String[] args(String... a) {
    String[] out = new String[a.length + SMALL.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(SMALL, 0, out, a.length, SMALL.length);
    return out;
  }

  /** Runs the CLI, returning exit code and what it printed to stdout and stderr. */
  static Object[] cli(String... a) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream capture = new PrintStream(buf, true, StandardCharsets.UTF_8);
    System.setOut(capture);
    System.setErr(capture);
    try {
      int code = Main.run(a);
      return new Object[] {code, buf.toString(StandardCharsets.UTF_8)};
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  @Test
  void trainWritesEverythingAndResumeContinuesTheSameRun() throws Exception {
    Path straight = dir.resolve("straight");
    Object[] r = cli(args("train", "--out", straight.toString(), "--steps", "6"));
    assertEquals(0, r[0], (String) r[1]);
    String log = (String) r[1];
    assertTrue(log.contains("step      6/6"), log);
    assertTrue(log.contains("perplexity") && log.contains("ETA") && log.contains("steps/s"), log);
    assertTrue(log.contains("PSNR") && log.contains("bits/dim"), log);
    for (String f : new String[] {"checkpoint.safetensors", "metrics.jsonl", "eval.txt", "code_usage.csv",
        "code_usage.png", "loss.png", "reconstructions.png"}) {
      assertTrue(Files.size(straight.resolve(f)) > 0, f + " written");
    }
    assertEquals(6, MetricsLog.read(straight.resolve("metrics.jsonl")).size());
    assertTrue(ImageIO.read(straight.resolve("reconstructions.png").toFile()).getWidth() > 64);

    Path split = dir.resolve("split");
    assertEquals(0, cli(args("train", "--out", split.toString(), "--steps", "4", "--no-eval"))[0]);
    Object[] again = cli(args("train", "--out", split.toString(), "--steps", "4"));
    assertEquals(1, again[0], "a second start into the same folder is refused");
    assertTrue(((String) again[1]).contains("--resume"), (String) again[1]);
    Object[] resumed = cli("train", "--out", split.toString(), "--resume", "--steps", "6", "--no-eval");
    assertEquals(0, resumed[0], (String) resumed[1]);
    assertTrue(((String) resumed[1]).contains("resuming"), (String) resumed[1]);

    Safetensors a = Safetensors.read(straight.resolve("checkpoint.safetensors"));
    Safetensors b = Safetensors.read(split.resolve("checkpoint.safetensors"));
    int compared = 0;
    for (String name : a.tensors().keySet()) {
      assertArrayEquals(a.floats(name), b.floats(name), name + ": resumed run differs from the uninterrupted one");
      compared++;
    }
    assertTrue(compared > 20);
    assertEquals(6, MetricsLog.read(split.resolve("metrics.jsonl")).size(), "the log reads as one run");

    Object[] eval = cli("eval", "--checkpoint", straight.resolve("checkpoint.safetensors").toString(), "--usage-csv",
        dir.resolve("usage.csv").toString(), "--usage-png", dir.resolve("usage.png").toString());
    assertEquals(0, eval[0], (String) eval[1]);
    assertTrue(((String) eval[1]).contains("perplexity"), (String) eval[1]);
    assertEquals(33, Files.readAllLines(dir.resolve("usage.csv")).size(), "header + 32 codes");
    assertTrue(ImageIO.read(dir.resolve("usage.png").toFile()) != null);

    Path codes = dir.resolve("codes.safetensors");
    Object[] enc = cli("encode", "--checkpoint", straight.resolve("checkpoint.safetensors").toString(), "--limit", "40",
        "--out", codes.toString());
    assertEquals(0, enc[0], (String) enc[1]);
    CodeDataset cd = CodeDataset.load(codes, straight.resolve("checkpoint.safetensors"));
    assertEquals(40, cd.count());
    assertEquals(8, cd.gridSize());
    assertTrue(cd.hasLabels());
    Path decoded = dir.resolve("decoded.png");
    Object[] dec = cli("decode", "--checkpoint", straight.resolve("checkpoint.safetensors").toString(), "--codes",
        codes.toString(), "--out", decoded.toString(), "--limit", "20");
    assertEquals(0, dec[0], (String) dec[1]);
    assertTrue(ImageIO.read(decoded.toFile()) != null);
    // The split run's checkpoint is byte-identical to this one (it is the same run), so the stale case needs
    // a file with other bytes: the same weights written as a model-only checkpoint.
    Path other = dir.resolve("model-only.safetensors");
    try (VqVae m = VqVaeCheckpoint.loadModel(straight.resolve("checkpoint.safetensors"), Device.CPU)) {
      VqVaeCheckpoint.saveModel(other, m);
    }
    Object[] stale = cli("decode", "--checkpoint", other.toString(), "--codes", codes.toString());
    assertEquals(1, stale[0], "codes of another checkpoint are refused");
    assertTrue(((String) stale[1]).contains("stale"), (String) stale[1]);

    Path png = dir.resolve("recon.png");
    Object[] rec = cli("reconstruct", "--checkpoint", straight.resolve("checkpoint.safetensors").toString(), "--out",
        png.toString(), "--from", "100");
    assertEquals(0, rec[0], (String) rec[1]);
    assertTrue(ImageIO.read(png.toFile()) != null);
  }

  @Test
  void trainPriorThenSample() throws Exception {
    Path vae = dir.resolve("vae-for-prior");
    assertEquals(0, cli(args("train", "--out", vae.toString(), "--steps", "3", "--no-eval"))[0]);
    Path vaeCk = vae.resolve("checkpoint.safetensors");
    Path prior = dir.resolve("prior");
    String[] small = {"--hidden", "8", "--layers", "2", "--output-hidden", "16", "--batch-size", "16", "--log-every",
        "2", "--checkpoint-every", "2"};
    String[] first = concat(new String[] {"train-prior", "--vqvae", vaeCk.toString(), "--out", prior.toString(),
        "--conditioned", "--steps", "3"}, small);
    Object[] r = cli(first);
    assertEquals(0, r[0], (String) r[1]);
    String log = (String) r[1];
    assertTrue(log.contains("bits/code") && log.contains("bits/dim bound"), log);
    for (String f : new String[] {"prior.safetensors", "metrics.jsonl", "eval.txt", "loss.png", "samples.png",
        "codes-train.safetensors", "codes-test.safetensors"}) {
      assertTrue(Files.size(prior.resolve(f)) > 0, f + " written");
    }
    Object[] resumed = cli("train-prior", "--out", prior.toString(), "--resume", "--steps", "5", "--no-eval");
    assertEquals(0, resumed[0], (String) resumed[1]);
    assertTrue(((String) resumed[1]).contains("resuming"), (String) resumed[1]);
    assertEquals(5, MetricsLog.read(prior.resolve("metrics.jsonl")).size());

    Path fast = dir.resolve("fast.png");
    Path fastCodes = dir.resolve("fast.safetensors");
    Path plainCodes = dir.resolve("plain.safetensors");
    Object[] s = cli("sample", "--prior", prior.resolve("prior.safetensors").toString(), "-n", "6", "--label", "3",
        "--temperature", "0.8", "--out", fast.toString(), "--codes-out", fastCodes.toString());
    assertEquals(0, s[0], (String) s[1]);
    s = cli("sample", "--prior", prior.resolve("prior.safetensors").toString(), "-n", "6", "--label", "3",
        "--temperature", "0.8", "--method", "plain", "--out", dir.resolve("plain.png").toString(), "--codes-out",
        plainCodes.toString());
    assertEquals(0, s[0], (String) s[1]);
    assertArrayEquals(CodeDataset.load(fastCodes).codes(), CodeDataset.load(plainCodes).codes(),
        "fast and plain sampling draw the same codes");
    assertArrayEquals(new int[] {3, 3, 3, 3, 3, 3}, CodeDataset.load(fastCodes).labels());
    Object[] bad = cli("sample", "--prior", prior.resolve("prior.safetensors").toString(), "--label", "10");
    assertEquals(1, bad[0]);
    assertTrue(((String) bad[1]).contains("label 10"), (String) bad[1]);
  }

  static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void badInputIsOneClearLine() throws Exception {
    Object[] r = cli("train", "--out", dir.resolve("bad").toString(), "--preset", "huge");
    assertEquals(1, r[0]);
    assertTrue(((String) r[1]).contains("unknown preset 'huge'"), (String) r[1]);

    Path junk = dir.resolve("junk.safetensors");
    Files.writeString(junk, "not a checkpoint");
    r = cli("eval", "--checkpoint", junk.toString());
    assertEquals(1, r[0]);
    assertTrue(((String) r[1]).contains("junk.safetensors"), (String) r[1]);
    assertTrue(!((String) r[1]).contains("\tat "), "no stack trace: " + r[1]);

    r = cli("train", "--steps", "zero");
    assertEquals(2, r[0], "a malformed option is a usage error");

    r = cli("train", "--out", dir.resolve("nodev").toString(), "--device", "tpu");
    assertEquals(1, r[0]);
    assertTrue(((String) r[1]).contains("--device tpu"), (String) r[1]);

    r = cli("eval", "--checkpoint", dir.resolve("missing.safetensors").toString());
    assertEquals(1, r[0]);
    assertTrue(((String) r[1]).contains("no such file") && ((String) r[1]).contains("missing.safetensors"),
        (String) r[1]);
  }
}
