package ai.vq4j.cli;

import static ai.vq4j.cli.CliTest.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.io.Safetensors;
import ai.vq4j.train.TinyImageFolder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code encode} and {@code train-prior} as 2 local ranks ({@code --nproc-per-node 2}, Gloo on loopback) on a
 * small image folder: the ranks' encode writes the very bytes one process writes (37 images in batches of 8,
 * split 24 + 13); train-prior's code cache is the same bytes either way; 2 ranks at batch 4 train the prior
 * that 1 process trains at batch 8 (to 2e-4 after 4 Adam steps, on differently rounded sums), rank 0 alone
 * logs, and the 2-rank run resumes as 1 process with its global batch of 8, across an epoch's end, to what
 * the 1-process run resumed reaches.
 */
class DataParallelPriorTest {
  @TempDir
  Path dir;

  private Path data;
  private Path vae;

  private String[] with(String[] base, String... more) {
    List<String> all = new ArrayList<>(List.of(base));
    all.addAll(List.of("--data", "folder", "--data-dir", data.toString()));
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }

  @Test
  void encodeAndTrainPriorOnTwoLocalRanks() throws Exception {
    data = TinyImageFolder.write(dir.resolve("images"), 37, 4, 8);
    Object[] r = cli(with(new String[] {"train", "--out", dir.resolve("vae").toString(), "--hidden", "8",
        "--residual-hidden", "4", "--codes", "16", "--code-dim", "4", "--batch-size", "4", "--steps", "2",
        "--no-eval"}));
    assertEquals(0, r[0], (String) r[1]);
    vae = dir.resolve("vae/checkpoint.safetensors");

    Path one = dir.resolve("codes-one.safetensors");
    Path two = dir.resolve("codes-two.safetensors");
    String[] encode = {"encode", "--checkpoint", vae.toString(), "--split", "train", "--batch-size", "8"};
    r = cli(with(encode, "--out", one.toString()));
    assertEquals(0, r[0], (String) r[1]);
    r = cli(with(encode, "--out", two.toString(), "--nproc-per-node", "2"));
    assertEquals(0, r[0], (String) r[1]);
    assertEquals(-1, Files.mismatch(one, two), "2 ranks encode the bytes 1 process encodes");

    Path single = dir.resolve("prior-one");
    Path pair = dir.resolve("prior-two");
    r = cli(prior(single, "--batch-size", "8"));
    assertEquals(0, r[0], (String) r[1]);
    r = cli(prior(pair, "--batch-size", "4", "--nproc-per-node", "2"));
    assertEquals(0, r[0], (String) r[1]);
    assertEquals(-1, Files.mismatch(single.resolve("codes-train.safetensors"), pair.resolve("codes-train.safetensors")),
        "the ranks' code cache is the single process's");
    assertEquals(4, Files.readAllLines(pair.resolve("metrics.jsonl")).size(), "rank 0 alone logs each step once");
    assertEquals("2", Safetensors.read(pair.resolve("prior.safetensors")).metadata().get("world_size"));
    assertClose(single, pair, 2e-4);

    // 37 grids hold 4 global batches of 8: steps 5 and 6 start the second epoch.
    Object[] resumed = cli("train-prior", "--out", pair.toString(), "--resume", "--steps", "6", "--no-eval");
    assertEquals(0, resumed[0], (String) resumed[1]);
    assertTrue(((String) resumed[1]).contains("global batch of 8 as 1 rank(s) x 8"), (String) resumed[1]);
    Object[] onward = cli("train-prior", "--out", single.toString(), "--resume", "--steps", "6", "--no-eval");
    assertEquals(0, onward[0], (String) onward[1]);
    assertEquals("1", Safetensors.read(pair.resolve("prior.safetensors")).metadata().get("world_size"));
    assertClose(single, pair, 5e-4);
  }

  private String[] prior(Path out, String... more) {
    return with(new String[] {"train-prior", "--vqvae", vae.toString(), "--out", out.toString(), "--hidden", "4",
        "--layers", "1", "--output-hidden", "8", "--steps", "4", "--log-every", "1", "--checkpoint-every", "3",
        "--no-eval"}, more);
  }

  private static void assertClose(Path a, Path b, double tolerance) throws Exception {
    CheckpointsClose.assertClose(a, b, "prior.safetensors", tolerance, 11, name -> false);
  }
}
