package ai.vq4j.cli;

import static ai.vq4j.cli.CliTest.args;
import static ai.vq4j.cli.CliTest.cli;
import static ai.vq4j.cli.CliTest.concat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.vq4j.checkpoint.CodeDataset;
import ai.vq4j.checkpoint.PriorCheckpoint;
import ai.vq4j.data.Datasets;
import ai.vq4j.io.Safetensors;
import ai.vq4j.model.PriorKind;
import ai.vq4j.model.TransformerConfig;
import ai.vq4j.train.MetricsLog;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * train-prior --model transformer and the --time-limit budget, end to end on a slice of Fashion-MNIST (the first
 * 512 training and 128 test images, written as IDX files: encoding and evaluation take moments) with small models:
 * the Transformer's run resumes bit-exactly, its checkpoint records its kind and config, sample draws the same
 * codes with the key/value cache as by recomputing the prefix, and a tiny time budget stops train and train-prior
 * cleanly with a checkpoint and the evaluation.
 */
class PriorModelCliTest {
  static final String[] TINY_TRANSFORMER = {"--model", "transformer", "--layers", "2", "--width", "16", "--heads",
      "2", "--mlp-ratio", "2", "--dropout", "0.1", "--batch-size", "16", "--log-every", "2", "--checkpoint-every",
      "3"};

  @TempDir
  static Path dir;
  static Path vaeCk;
  static String data;

  @BeforeAll
  static void vqvae() throws IOException {
    Path full = Datasets.FASHION_MNIST_DIR;
    assumeTrue(Files.exists(full.resolve("train-images-idx3-ubyte.gz")),
        "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
    Path slice = dir.resolve("fashion-slice");
    Files.createDirectories(slice);
    for (String[] f : new String[][] {{"train", "512"}, {"t10k", "128"}}) {
      for (String kind : new String[] {"images-idx3", "labels-idx1"}) {
        String name = f[0] + "-" + kind + "-ubyte";
        firstItems(full.resolve(name + ".gz"), slice.resolve(name), Integer.parseInt(f[1]));
      }
    }
    data = slice.toString();
    Path vae = dir.resolve("vae");
    Object[] r = cli(args("train", "--data-dir", data, "--out", vae.toString(), "--steps", "3", "--no-eval"));
    assertEquals(0, r[0], (String) r[1]);
    vaeCk = vae.resolve("checkpoint.safetensors");
  }

  /** The first count items of a gzipped IDX file, as an IDX file: the header with the count changed. */
  static void firstItems(Path gz, Path out, int count) throws IOException {
    try (DataInputStream in = new DataInputStream(new GZIPInputStream(Files.newInputStream(gz)));
         DataOutputStream o = new DataOutputStream(Files.newOutputStream(out))) {
      int magic = in.readInt();
      in.readInt();
      o.writeInt(magic);
      o.writeInt(count);
      int itemBytes = 1;
      for (int d = 1; d < (magic & 0xff); d++) {
        int size = in.readInt();
        o.writeInt(size);
        itemBytes *= size;
      }
      o.write(in.readNBytes(count * itemBytes));
    }
  }

  /** A new run folder holding the code caches of an earlier one (keyed by the VQ-VAE's hash): no re-encoding. */
  static Path withCodesOf(Path from, String name) throws IOException {
    Path to = dir.resolve(name);
    Files.createDirectories(to);
    for (String f : new String[] {"codes-train.safetensors", "codes-test.safetensors"}) {
      if (Files.exists(from.resolve(f))) {
        Files.copy(from.resolve(f), to.resolve(f), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    return to;
  }

  @Test
  void transformerPriorTrainsResumesBitExactlyAndSamplesWithTheCache() throws Exception {
    Path straight = dir.resolve("transformer");
    Object[] r = cli(concat(new String[] {"train-prior", "--vqvae", vaeCk.toString(), "--data-dir", data, "--out", straight.toString(),
        "--conditioned", "--steps", "6"}, TINY_TRANSFORMER));
    assertEquals(0, r[0], (String) r[1]);
    String log = (String) r[1];
    assertTrue(log.contains("prior: Transformer") && log.contains("2 blocks of width 16"), log);
    assertTrue(log.contains("step      6/6") && log.contains("bits/code") && log.contains("bits/dim bound"), log);
    for (String f : new String[] {"prior.safetensors", "metrics.jsonl", "eval.txt", "loss.png", "samples.png"}) {
      assertTrue(Files.size(straight.resolve(f)) > 0, f + " written");
    }
    String eval = Files.readString(straight.resolve("eval.txt"));
    assertTrue(eval.contains("Transformer") && eval.contains("test codes       128 grids of 8x8"), eval);
    Path ck = straight.resolve("prior.safetensors");
    PriorCheckpoint read = PriorCheckpoint.read(ck);
    assertEquals(PriorKind.TRANSFORMER, read.kind());
    TransformerConfig c = (TransformerConfig) read.config();
    assertEquals(2, c.depth);
    assertEquals(16, c.width);
    assertEquals(0.1, c.dropout);
    assertEquals(10, c.numClasses);
    assertTrue(read.fields().metadata().get("train_config").contains("\"weightDecay\": 0.1"), "AdamW's default");

    // 3 steps, then a resume to 6: the same weights and AdamW moments as the straight run, bit for bit.
    Path split = withCodesOf(straight, "transformer-split");
    Object[] first = cli(concat(new String[] {"train-prior", "--vqvae", vaeCk.toString(), "--data-dir", data, "--out", split.toString(),
        "--conditioned", "--steps", "3", "--no-eval"}, TINY_TRANSFORMER));
    assertEquals(0, first[0], (String) first[1]);
    Object[] resumed = cli("train-prior", "--out", split.toString(), "--resume", "--steps", "6", "--no-eval");
    assertEquals(0, resumed[0], (String) resumed[1]);
    Safetensors a = Safetensors.read(ck);
    Safetensors b = Safetensors.read(split.resolve("prior.safetensors"));
    assertEquals(a.tensors().keySet(), b.tensors().keySet());
    for (String name : a.tensors().keySet()) {
      assertArrayEquals(a.floats(name), b.floats(name), name + ": the resumed run differs from the straight one");
    }
    assertEquals(6, MetricsLog.read(split.resolve("metrics.jsonl")).size());

    // The key/value cache (fast) and recomputing the prefix (plain) draw the same codes, with every cut.
    Path fast = dir.resolve("t-fast.safetensors");
    Path plain = dir.resolve("t-plain.safetensors");
    String[] sampling = {"-n", "5", "--temperature", "0.9", "--top-k", "20", "--top-p", "0.95", "--seed", "3"};
    Object[] s = cli(concat(new String[] {"sample", "--prior", ck.toString(), "--out",
        dir.resolve("t-fast.png").toString(), "--codes-out", fast.toString()}, sampling));
    assertEquals(0, s[0], (String) s[1]);
    assertTrue(((String) s[1]).contains("transformer prior, fast"), (String) s[1]);
    s = cli(concat(new String[] {"sample", "--prior", ck.toString(), "--method", "plain", "--out",
        dir.resolve("t-plain.png").toString(), "--codes-out", plain.toString()}, sampling));
    assertEquals(0, s[0], (String) s[1]);
    assertArrayEquals(CodeDataset.load(plain).codes(), CodeDataset.load(fast).codes(),
        "cached and recomputed sampling draw the same codes");
    assertArrayEquals(new int[] {0, 1, 2, 3, 4}, CodeDataset.load(fast).labels());

    // Bad sampling options and options of the other prior are one clear line each.
    String[][] bad = {
        {"sample", "--prior", ck.toString(), "--top-p", "1.5"}, {"--top-p"},
        {"sample", "--prior", ck.toString(), "--top-k=-2"}, {"--top-k"},
        {"sample", "--prior", ck.toString(), "--temperature", "0"}, {"--temperature"},
        {"train-prior", "--vqvae", vaeCk.toString(), "--out", dir.resolve("x1").toString(), "--model", "transformer",
            "--hidden", "8"}, {"--hidden shapes a pixelcnn prior"},
        {"train-prior", "--vqvae", vaeCk.toString(), "--out", dir.resolve("x2").toString(), "--width", "8"},
            {"--width shapes a transformer prior"},
        {"train-prior", "--vqvae", vaeCk.toString(), "--out", dir.resolve("x3").toString(), "--model", "rnn"},
            {"--model must be pixelcnn or transformer"},
        {"train-prior", "--vqvae", vaeCk.toString(), "--out", dir.resolve("x4").toString(), "--model", "transformer",
            "--preset", "gpt-huge"}, {"--preset must be gpt-small"},
        {"train-prior", "--vqvae", vaeCk.toString(), "--out", dir.resolve("x5").toString(), "--model", "transformer",
            "--width", "16", "--heads", "3"}, {"heads (3) must divide width (16)"},
        {"train-prior", "--vqvae", vaeCk.toString(), "--out", dir.resolve("x6").toString(), "--model", "transformer",
            "--dropout", "1"}, {"dropout must be in [0, 1)"},
        {"train-prior", "--out", split.toString(), "--resume", "--model", "pixelcnn"}, {"--model"},
    };
    for (int i = 0; i < bad.length; i += 2) {
      Object[] e = cli(bad[i]);
      assertEquals(1, e[0], String.join(" ", bad[i]));
      String out = (String) e[1];
      assertTrue(out.contains(bad[i + 1][0]), String.join(" ", bad[i]) + ": " + out);
      assertTrue(out.strip().lines().count() <= 2, "one clear line: " + out);
    }
  }

  /**
   * --time-limit: a run of 100 000 steps with a budget of 30 ms stops after a few steps, writes its checkpoint at
   * that step and evaluates; a resume under the same budget continues from there. For train and train-prior.
   */
  @Test
  void aTinyTimeLimitStopsCleanlyWithACheckpointAndTheEvaluation() throws Exception {
    Path vae = dir.resolve("vae-budget");
    Object[] r = cli(args("train", "--data-dir", data, "--out", vae.toString(), "--steps", "100000", "--time-limit",
        "0.0005"));
    assertEquals(0, r[0], (String) r[1]);
    long steps = stoppedEarly((String) r[1], vae.resolve("checkpoint.safetensors"), vae);
    Object[] again = cli("train", "--out", vae.toString(), "--resume", "--time-limit", "0.0005", "--no-eval");
    assertEquals(0, again[0], (String) again[1]);
    assertTrue(MetricsLog.read(vae.resolve("metrics.jsonl")).size() > steps, "the resume went on");

    Path prior = withCodesOf(dir.resolve("transformer"), "prior-budget");
    Object[] p = cli("train-prior", "--vqvae", vaeCk.toString(), "--data-dir", data, "--out", prior.toString(),
        "--steps", "100000",
        "--time-limit", "0.0005", "--hidden", "8", "--layers", "2", "--output-hidden", "16", "--batch-size", "16");
    assertEquals(0, p[0], (String) p[1]);
    stoppedEarly((String) p[1], prior.resolve("prior.safetensors"), prior);
    Object[] bad = cli("train-prior", "--out", prior.toString(), "--resume", "--time-limit=-1");
    assertEquals(1, bad[0]);
    assertTrue(((String) bad[1]).contains("--time-limit must be a positive"), (String) bad[1]);
  }

  /** The run stopped at the time limit: its step, checkpointed and logged, far below 100 000, and evaluated. */
  static long stoppedEarly(String log, Path checkpoint, Path folder) throws IOException {
    assertTrue(log.contains("time limit: stopped at step"), log);
    long step = Long.parseLong(Safetensors.read(checkpoint).metadata().get("step"));
    assertTrue(step >= 1 && step < 100000, "stopped at step " + step);
    assertTrue(log.contains("checkpoint: " + checkpoint + " (step " + step + ")"), log);
    assertEquals(step, MetricsLog.read(folder.resolve("metrics.jsonl")).size(), "every step logged");
    assertTrue(Files.size(folder.resolve("eval.txt")) > 0, "evaluated");
    return step;
  }
}
