package example;

import ai.vq4j.api.VqVaeCodec;
import ai.vq4j.data.Dataset;
import ai.vq4j.data.Datasets;
import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import ai.vq4j.checkpoint.VqVaeCheckpoint;
import ai.vq4j.train.StepMetrics;
import ai.vq4j.train.VqVaeTrainer;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * A host application of vq4j: trains a small VQ-VAE for a few steps on Fashion-MNIST, saves its checkpoint,
 * loads it back through {@link VqVaeCodec} as an application would, and encodes and decodes a test image.
 * Fails (exit 1) when the reconstruction is no better than a flat grey image, so a broken artifact shows.
 */
public final class HostApp {
  static final int STEPS = 60;
  static final int BATCH = 32;

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args.length > 0 ? args[0] : "host-app-out");
    Files.createDirectories(out);
    Path checkpoint = out.resolve("model.safetensors");

    VqVaeConfig config = VqVaeConfig.sonnet(1);
    config.hidden = 32;
    config.residualHidden = 8;
    config.embeddingDim = 16;
    config.numEmbeddings = 64;
    Dataset train = Datasets.forModel("fashion-mnist", null, true, config.imageSize, 1).first(STEPS * BATCH);
    float[] pixels = train.toFloatArray();
    int perImage = train.imageSize();
    try (VqVae model = new VqVae(config, Device.CPU);
         VqVaeTrainer trainer = new VqVaeTrainer(model, 2e-3, 0, train.pixelVariance(), 1);
         Tensor batch = Tensor.zeros(Device.CPU, DType.FLOAT32, BATCH, config.imageSize, config.imageSize, 1)) {
      float[] values = new float[BATCH * perImage];
      for (int step = 0; step < STEPS; step++) {
        System.arraycopy(pixels, step * BATCH * perImage, values, 0, values.length);
        batch.copyFrom(values);
        StepMetrics m = trainer.step(batch);
        if ((step + 1) % 20 == 0) {
          System.out.printf("step %d/%d: reconstruction MSE %.4f, perplexity %.1f%n", step + 1, STEPS, m.reconMse(),
              m.perplexity());
        }
      }
      VqVaeCheckpoint.saveModel(checkpoint, model);
    }

    BufferedImage shirt = grey(Datasets.fashionMnist(false), 0);
    try (VqVaeCodec codec = VqVaeCodec.load(checkpoint, Device.CPU)) {
      int[][] codes = codec.encode(shirt);
      BufferedImage back = codec.decode(codes);
      ImageIO.write(shirt, "png", out.resolve("input.png").toFile());
      ImageIO.write(back, "png", out.resolve("decoded.png").toFile());
      float[] x = codec.toModelInput(shirt);
      float[] y = codec.reconstruct(x);
      double mse = 0;
      double mean = 0;
      for (float v : x) {
        mean += v / x.length;
      }
      double flat = 0;
      for (int i = 0; i < x.length; i++) {
        mse += (x[i] - y[i]) * (x[i] - y[i]) / x.length;
        flat += (x[i] - mean) * (x[i] - mean) / x.length;
      }
      System.out.printf("encoded a %dx%d test image to %dx%d codes (first row %s), decoded to %dx%d: %s%n",
          shirt.getWidth(), shirt.getHeight(), codes.length, codes[0].length, java.util.Arrays.toString(codes[0]),
          back.getWidth(), back.getHeight(), out.resolve("decoded.png"));
      System.out.printf("reconstruction MSE %.4f (a flat grey image: %.4f)%n", mse, flat);
      if (!(mse < flat)) {
        System.err.println("host-app: the reconstruction is no better than a flat image");
        System.exit(1);
      }
    }
  }

  /** Test image i of a one-channel uint8 data set as a grey picture, as an application would have one. */
  static BufferedImage grey(Dataset set, int i) {
    BufferedImage img = new BufferedImage(set.width(), set.height(), BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < set.height(); y++) {
      for (int x = 0; x < set.width(); x++) {
        int v = (int) set.value(i, y, x, 0);
        img.getRaster().setSample(x, y, 0, v);
      }
    }
    return img;
  }
}
