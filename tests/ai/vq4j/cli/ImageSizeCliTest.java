package ai.vq4j.cli;

import static ai.vq4j.cli.CliTest.cli;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.checkpoint.CodeDataset;
import ai.vq4j.checkpoint.VqVaeCheckpoint;
import ai.vq4j.data.Datasets;
import ai.vq4j.data.EmojiDatasetTestAccess;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.train.TrainConfig;
import ai.vq4j.train.TrainingCheckpoint;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 64x64 colour images end to end on a tiny synthetic emoji folder at --downsample 8, streamed from disk: train,
 * eval, encode, decode, train-prior, sample all follow the 8x8 grid; sizes that do not fit are one line; the
 * recipe preset is printed by --help and recorded in the run.
 */
class ImageSizeCliTest {
  static final String[] SMALL = {"--hidden", "8", "--residual-hidden", "4", "--codes", "16", "--code-dim", "4",
      "--batch-size", "4", "--log-every", "1"};

  @TempDir
  static Path dir;

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void emojiAtDownsample8TrainsEncodesDecodesAndSamples() throws Exception {
    Path data = EmojiDatasetTestAccess.write(dir.resolve("emoji"), 10);
    Path vae = dir.resolve("vae");
    Object[] r = cli(concat(new String[] {"train", "--data", "emoji", "--data-dir", data.toString(), "--downsample", "8",
        "--data-loading", "stream", "--steps", "2", "--out", vae.toString()}, SMALL));
    assertEquals(0, r[0], (String) r[1]);
    assertTrue(((String) r[1]).contains("64x64x3 streamed from disk"), (String) r[1]);
    assertTrue(((String) r[1]).contains("over 12288 dims"), "eval over the whole 64x64x3 image: " + r[1]);
    Path ck = vae.resolve("checkpoint.safetensors");
    VqVaeCheckpoint read = VqVaeCheckpoint.read(ck);
    VqVaeConfig c = read.config();
    assertEquals(64, c.imageSize);
    assertEquals(8, c.downsample);
    assertEquals(3, c.imageChannels);
    assertEquals("stream", TrainingCheckpoint.of(read.fields()).trainConfig(TrainConfig::fromJson).dataLoading);

    Path codes = dir.resolve("codes.safetensors");
    r = cli("encode", "--checkpoint", ck.toString(), "--data", "emoji", "--data-dir", data.toString(), "--split", "test",
        "--out", codes.toString());
    assertEquals(0, r[0], (String) r[1]);
    assertEquals(8, CodeDataset.load(codes).gridSize());
    Path decoded = dir.resolve("decoded.png");
    r = cli("decode", "--checkpoint", ck.toString(), "--codes", codes.toString(), "--limit", "2", "--columns", "2",
        "--out", decoded.toString());
    assertEquals(0, r[0], (String) r[1]);
    BufferedImage png = ImageIO.read(decoded.toFile());
    assertTrue(png.getWidth() >= 2 * 64 && png.getHeight() >= 64, png.getWidth() + "x" + png.getHeight());

    Path prior = dir.resolve("prior");
    r = cli("train-prior", "--vqvae", ck.toString(), "--data", "emoji", "--data-dir", data.toString(), "--conditioned",
        "--steps", "2", "--hidden", "8", "--layers", "2", "--output-hidden", "16", "--batch-size", "8", "--out",
        prior.toString());
    assertEquals(0, r[0], (String) r[1]);
    Path samples = dir.resolve("samples.png");
    r = cli("sample", "--prior", prior.resolve("prior.safetensors").toString(), "-n", "3", "--columns", "3", "--out",
        samples.toString());
    assertEquals(0, r[0], (String) r[1]);
    assertTrue(ImageIO.read(samples.toFile()).getWidth() >= 3 * 64);
  }

  @Test
  void sizesThatDoNotFitAreOneLine() {
    Object[] r = cli(concat(new String[] {"train", "--image-size", "36", "--downsample", "8", "--steps", "1", "--out",
        dir.resolve("bad1").toString()}, SMALL));
    assertEquals(1, r[0], (String) r[1]);
    assertTrue(((String) r[1]).contains("--image-size 36 is not a multiple of --downsample 8"), (String) r[1]);
    if (Files.exists(Datasets.FASHION_MNIST_DIR.resolve("train-images-idx3-ubyte.gz"))) {
      r = cli(concat(new String[] {"train", "--image-size", "64", "--steps", "1", "--out", dir.resolve("bad2").toString()},
          SMALL));
      assertEquals(1, r[0], (String) r[1]);
      assertTrue(((String) r[1]).contains("28x28; the model's 64x64 (--image-size) would be mostly padding"),
          (String) r[1]);
    }
    r = cli(concat(new String[] {"train", "--downsample", "6", "--steps", "1", "--out", dir.resolve("bad3").toString()},
        SMALL));
    assertEquals(1, r[0], (String) r[1]);
    assertTrue(((String) r[1]).contains("downsample must be 4, 8 or 16"), (String) r[1]);
  }

  @Test
  void aCorruptStreamedFileIsOneLineNamingIt() throws Exception {
    Path data = EmojiDatasetTestAccess.write(dir.resolve("emoji-corrupt"), 10);
    Path bad = ai.vq4j.data.EmojiDataset.files(data, true, 64).files().get(5);  // a training image
    Files.write(bad, java.util.Arrays.copyOf(Files.readAllBytes(bad), 100));
    Object[] r = cli(concat(new String[] {"train", "--data", "emoji", "--data-dir", data.toString(), "--downsample", "8",
        "--data-loading", "stream", "--steps", "2", "--no-eval", "--out", dir.resolve("corrupt").toString()}, SMALL));
    assertEquals(1, r[0], (String) r[1]);
    String message = ((String) r[1]).strip();
    assertTrue(message.startsWith("vq4j train: " + bad) && !message.contains("\tat "), message);
  }

  @Test
  void theRecipePresetIsPrintedAndRecorded() throws Exception {
    Object[] help = cli("train", "--help");
    String text = ((String) help[1]).replaceAll("\\s+", " ");
    assertTrue(text.contains(FashionMnistRecipe.HELP), text);
    Path data = EmojiDatasetTestAccess.write(dir.resolve("emoji-recipe"), 10);
    Path run = dir.resolve("recipe");
    // On the tiny emoji folder (no Fashion-MNIST needed); --steps and --warmup-steps given beside it win.
    Object[] r = cli("train", "--preset", "fashion-mnist", "--data", "emoji", "--data-dir", data.toString(), "--hidden",
        "8", "--residual-hidden", "4", "--steps", "3", "--warmup-steps", "1",
        "--no-eval", "--out", run.toString());
    assertEquals(0, r[0], (String) r[1]);
    VqVaeCheckpoint ck = VqVaeCheckpoint.read(run.resolve("checkpoint.safetensors"));
    TrainConfig t = TrainingCheckpoint.of(ck.fields()).trainConfig(TrainConfig::fromJson);
    assertEquals("fashion-mnist", t.recipe);
    assertEquals("cosine", t.lrSchedule);
    assertEquals(1, t.warmupSteps);
    assertEquals(3, t.steps);
    assertEquals(Double.parseDouble(FashionMnistRecipe.PEAK_LR), t.learningRate);
    assertEquals(Double.parseDouble(FashionMnistRecipe.MIN_LR), t.minLearningRate);
    assertEquals(FashionMnistRecipe.BATCH_SIZE, t.batchSize);
    VqVaeConfig c = ck.config();
    assertEquals("sonnet", c.preset);
    assertArrayEquals(FashionMnistRecipe.fsqLevels(), c.fsqLevels);
    assertEquals(FashionMnistRecipe.fsqLevels().length, c.embeddingDim);
    assertEquals(8 * 5 * 5 * 5, c.numEmbeddings);
  }

  @Test
  void aCodebookSizeBesideTheRecipeReplacesItsQuantizer() throws Exception {
    Path data = EmojiDatasetTestAccess.write(dir.resolve("emoji-recipe-codes"), 10);
    Path run = dir.resolve("recipe-codes");
    Object[] r = cli("train", "--preset", "fashion-mnist", "--data", "emoji", "--data-dir", data.toString(), "--hidden",
        "8", "--residual-hidden", "4", "--codes", "16", "--code-dim", "4", "--steps", "2", "--warmup-steps", "1",
        "--no-eval", "--out", run.toString());
    assertEquals(0, r[0], (String) r[1]);
    VqVaeConfig c = VqVaeCheckpoint.read(run.resolve("checkpoint.safetensors")).config();
    assertEquals(0, c.fsqLevels.length);
    assertEquals(16, c.numEmbeddings);
    assertEquals(4, c.embeddingDim);
  }
}
