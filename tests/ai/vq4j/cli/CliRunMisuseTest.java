package ai.vq4j.cli;

import static ai.vq4j.cli.CliTest.cli;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.checkpoint.CodeDataset;
import ai.vq4j.checkpoint.VqVaeCheckpoint;
import ai.vq4j.model.VqVae;
import ai.vq4j.tensor.Device;
import ai.vq4j.train.TinyImageFolder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run commands refuse what they would get wrong (issue 11): options a resume cannot honour, outputs that
 * would overwrite an input or that are not what they should be, a prior sampled through another VQ-VAE, and
 * a sample count that cannot fit in memory; and they honour --steps and --lr on a resume, saying so.
 */
class CliRunMisuseTest {
  static final String[] SMALL = {"--data", "folder", "--hidden", "8", "--residual-hidden", "4", "--codes", "16",
      "--code-dim", "4", "--batch-size", "4", "--log-every", "1", "--checkpoint-every", "2", "--no-eval"};

  @TempDir
  static Path dir;

  static Path data;
  static Path vae;

  static String[] small(String... a) {
    String[] out = java.util.Arrays.copyOf(a, a.length + SMALL.length + 2);
    System.arraycopy(SMALL, 0, out, a.length, SMALL.length);
    out[a.length + SMALL.length] = "--data-dir";
    out[a.length + SMALL.length + 1] = data.toString();
    return out;
  }

  @BeforeAll
  static void trainOnce() throws Exception {
    data = TinyImageFolder.write(dir.resolve("images"), 12, 4, 8);
    Object[] r = cli(small("train", "--out", dir.resolve("vae").toString(), "--steps", "2"));
    assertEquals(0, r[0], (String) r[1]);
    vae = dir.resolve("vae/checkpoint.safetensors");
  }

  static void assertFails(Object[] r, String... phrases) {
    assertEquals(1, r[0], (String) r[1]);
    for (String p : phrases) {
      assertTrue(((String) r[1]).contains(p), "says '" + p + "': " + r[1]);
    }
    assertTrue(!((String) r[1]).contains("\tat "), "no stack trace: " + r[1]);
  }

  @Test
  void aResumeHonoursStepsAndLearningRateAndRefusesTheRest() throws Exception {
    Path run = dir.resolve("resumed");
    assertEquals(0, cli(small("train", "--out", run.toString(), "--steps", "2"))[0]);
    assertFails(cli("train", "--out", run.toString(), "--resume", "--preset", "paper", "--ema", "--batch-size", "8"),
        "--preset", "--ema", "--batch-size", "cannot change it");
    Object[] r = cli("train", "--out", run.toString(), "--resume", "--steps", "3", "--lr", "1e-4");
    assertEquals(0, r[0], (String) r[1]);
    assertTrue(((String) r[1]).contains("--steps 3 replaces the run's 2"), (String) r[1]);
    assertTrue(((String) r[1]).contains("--lr 1.0E-4 replaces"), (String) r[1]);
    assertFails(cli("train-prior", "--out", run.toString(), "--resume", "--vqvae", vae.toString()), "--vqvae");
  }

  @Test
  void outputsThatWouldDestroySomethingAreRefused() throws Exception {
    byte[] before = Files.readAllBytes(vae);
    assertFails(cli("encode", "--checkpoint", vae.toString(), "--data", "folder", "--data-dir", data.toString(),
        "--out", vae.toString()), "is an input", "refusing to overwrite");
    assertArrayEquals(before, Files.readAllBytes(vae), "the checkpoint is untouched");
    Path text = Files.writeString(dir.resolve("notes.txt"), "mine");
    assertFails(cli("encode", "--checkpoint", vae.toString(), "--data", "folder", "--data-dir", data.toString(),
        "--out", text.toString()), "not a code file");
    assertEquals("mine", Files.readString(text));
    assertFails(cli(small("train", "--out", text.toString())), text.toString(), "existing file");
    assertFails(cli("reconstruct", "--checkpoint", vae.toString(), "--data", "folder", "--data-dir",
        data.toString(), "--out", dir.toString()), dir.toString(), "folder");
    // A second run into the VQ-VAE's folder would overwrite its metrics.jsonl.
    assertFails(cli("train-prior", "--vqvae", vae.toString(), "--out", dir.resolve("vae").toString(), "--data",
        "folder", "--data-dir", data.toString(), "--steps", "2", "--no-eval"), "another training run");
  }

  @Test
  void sampleChecksTheVqVaeAndTheSampleCount() throws Exception {
    Path prior = dir.resolve("prior");
    Object[] r = cli("train-prior", "--vqvae", vae.toString(), "--out", prior.toString(), "--data", "folder",
        "--data-dir", data.toString(), "--steps", "2", "--hidden", "4", "--layers", "1", "--output-hidden", "8",
        "--batch-size", "4", "--no-eval");
    assertEquals(0, r[0], (String) r[1]);
    Path priorCk = prior.resolve("prior.safetensors");
    Path codes = dir.resolve("sampled.safetensors");
    r = cli("sample", "--prior", priorCk.toString(), "-n", "2", "--out", dir.resolve("s.png").toString(),
        "--codes-out", codes.toString());
    assertEquals(0, r[0], (String) r[1]);
    assertEquals(2, CodeDataset.load(codes, vae).count(), "the code file names the prior's VQ-VAE (same hash)");

    Path other = dir.resolve("other.safetensors");
    try (VqVae m = VqVaeCheckpoint.loadModel(vae, Device.CPU)) {
      VqVaeCheckpoint.saveModel(other, m);
    }
    assertFails(cli("sample", "--prior", priorCk.toString(), "--vqvae", other.toString(), "-n", "2", "--out",
        dir.resolve("t.png").toString()), "is not the VQ-VAE", "SHA-256");
    assertFails(cli("sample", "--prior", priorCk.toString(), "-n", "2147483647", "--out",
        dir.resolve("u.png").toString()), "-n 2147483647", "memory");
  }
}
