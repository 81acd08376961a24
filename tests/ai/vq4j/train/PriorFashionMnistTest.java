package ai.vq4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.vq4j.checkpoint.CodeDataset;
import ai.vq4j.eval.PriorEvaluation;
import ai.vq4j.model.PixelCnnConfig;
import ai.vq4j.model.PixelCnnPrior;
import ai.vq4j.model.PixelCnnSampler;
import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * A short real run: a small VQ-VAE (the sonnet preset at a quarter of its width, K = 64) trained for 150 steps
 * on Fashion-MNIST, its codes of 6000 training and 1000 test images (7 x 7 grids), and a Gated PixelCNN prior
 * trained on the training codes. The prior's test NLL must fall well below the uniform prior's log2 K = 6 bits
 * per code and below the code frequencies' own cross-entropy (so it learned more than which codes are common),
 * and sampling must work on the trained prior. Skipped, visibly, where the data set is absent.
 */
class PriorFashionMnistTest {
  static final Path DATA = Path.of("/usr/share/datasets/fashion-mnist");
  static final Device CPU = Device.CPU;

  @Test
  void priorTestNllFallsWellBelowTheUniformPrior() throws IOException {
    Path trainImages = DATA.resolve("train-images-idx3-ubyte.gz");
    Path testImages = DATA.resolve("t10k-images-idx3-ubyte.gz");
    assumeTrue(Files.exists(trainImages) && Files.exists(testImages),
        "Fashion-MNIST is not in " + DATA + ": the real-data run of the prior needs it");
    long t0 = System.nanoTime();
    int nTrain = 6000, nTest = 1000;
    float[] train = readIdxImages(trainImages, nTrain);
    float[] test = readIdxImages(testImages, nTest);
    int[] trainLabels = readIdxLabels(DATA.resolve("train-labels-idx1-ubyte.gz"), nTrain);

    VqVaeConfig vc = VqVaeConfig.sonnet(1);
    vc.imageSize = 28;
    vc.hidden = 32;
    vc.residualHidden = 8;
    vc.embeddingDim = 16;
    vc.numEmbeddings = 64;
    vc.seed = 1;
    CodeDataset trainCodes;
    CodeDataset testCodes;
    try (VqVae vae = new VqVae(vc, CPU)) {
      int batch = 32;
      int per = 28 * 28;
      try (VqVaeTrainer t = new VqVaeTrainer(vae, 1e-3, 0, variance(train), 1);
           Tensor x = Tensor.zeros(CPU, ai.vq4j.tensor.DType.FLOAT32, batch, 28, 28, 1)) {
        for (int step = 0; step < 150; step++) {
          int from = (step * batch) % (nTrain - batch);
          x.copyFrom(java.util.Arrays.copyOfRange(train, from * per, (from + batch) * per));
          t.step(x);
        }
      }
      trainCodes = CodeDataset.encode(vae, train, nTrain, trainLabels, 250, null);
      testCodes = CodeDataset.encode(vae, test, nTest, null, 250, null);
    }
    double vqSeconds = (System.nanoTime() - t0) / 1e9;
    int k = 64;
    double uniform = PriorEvaluation.uniformBitsPerCode(k);
    double unigram = unigramBits(trainCodes, testCodes, k);

    PixelCnnConfig pc = PixelCnnConfig.forCodes(k, 7, 0);
    pc.hidden = 32;
    pc.layers = 5;
    pc.kernelSize = 3;
    pc.firstKernelSize = 5;
    pc.outputHidden = 64;
    try (PixelCnnPrior prior = new PixelCnnPrior(pc, CPU);
         PriorTrainer trainer = new PriorTrainer(prior, 1e-3, 0, 7)) {
      double before = PriorEvaluation.evaluate(prior, testCodes, 500).bitsPerCode();
      PriorStepMetrics last = null;
      for (int step = 0; step < 300; step++) {
        last = trainer.step(trainCodes, 32);
      }
      PriorEvaluation.Nll after = PriorEvaluation.evaluate(prior, testCodes, 500);
      double seconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf("Fashion-MNIST prior: VQ-VAE 150 steps + encoding %.1f s; test NLL %.3f bits/code before"
          + " training, %.3f after 300 steps (train batch %.3f); code-frequency cross-entropy %.3f; uniform log2 K"
          + " = %.3f; %.1f s in all%n", vqSeconds, before, after.bitsPerCode(), last.bitsPerCode(), unigram, uniform,
          seconds);
      assertTrue(after.bitsPerCode() < 0.75 * uniform, "test NLL " + after.bitsPerCode() + " bits/code is not well"
          + " below log2 K = " + uniform);
      assertTrue(after.bitsPerCode() < unigram - 0.3, "test NLL " + after.bitsPerCode() + " bits/code is not below"
          + " the code frequencies' " + unigram);
      assertTrue(after.bitsPerCode() < before - 1, "training did not lower the test NLL: " + before + " -> "
          + after.bitsPerCode());

      PixelCnnSampler sampler = new PixelCnnSampler(prior);
      int[] fast = sampler.sampleCodes(2, null, 1.0, 3, PixelCnnSampler.Method.FAST, null);
      int[] plain = sampler.sampleCodes(2, null, 1.0, 3, PixelCnnSampler.Method.PLAIN, null);
      assertArrayEquals(plain, fast, "the trained prior samples the same codes both ways");
    }
  }

  static double variance(float[] x) {
    double mean = 0;
    for (float v : x) {
      mean += v;
    }
    mean /= x.length;
    double var = 0;
    for (float v : x) {
      var += (v - mean) * (v - mean);
    }
    return var / x.length;
  }

  /** Cross-entropy (bits per code) of the test codes under the training codes' frequencies (add-one smoothed). */
  static double unigramBits(CodeDataset train, CodeDataset test, int k) {
    double[] counts = new double[k];
    java.util.Arrays.fill(counts, 1);
    for (int c : train.codes()) {
      counts[c]++;
    }
    double total = java.util.Arrays.stream(counts).sum();
    double bits = 0;
    int[] t = test.codes();
    for (int c : t) {
      bits -= Math.log(counts[c] / total) / Math.log(2);
    }
    return bits / t.length;
  }

  /** The first n images of an IDX3 file (gzip), as NHWC floats in [-0.5, 0.5]. */
  static float[] readIdxImages(Path file, int n) throws IOException {
    try (DataInputStream in = new DataInputStream(new GZIPInputStream(Files.newInputStream(file)))) {
      if (in.readInt() != 0x803) {
        throw new IOException(file + ": not an IDX3 image file");
      }
      int count = in.readInt(), rows = in.readInt(), cols = in.readInt();
      if (count < n || rows != 28 || cols != 28) {
        throw new IOException(file + ": " + count + " images of " + rows + "x" + cols);
      }
      byte[] raw = in.readNBytes(n * rows * cols);
      float[] out = new float[raw.length];
      for (int i = 0; i < raw.length; i++) {
        out[i] = (raw[i] & 0xff) / 255f - 0.5f;
      }
      return out;
    }
  }

  /** The first n labels of an IDX1 file (gzip). */
  static int[] readIdxLabels(Path file, int n) throws IOException {
    try (InputStream raw = new GZIPInputStream(Files.newInputStream(file));
         DataInputStream in = new DataInputStream(raw)) {
      if (in.readInt() != 0x801 || in.readInt() < n) {
        throw new IOException(file + ": not an IDX1 label file with " + n + " labels");
      }
      byte[] b = in.readNBytes(n);
      int[] out = new int[n];
      for (int i = 0; i < n; i++) {
        out[i] = b[i];
      }
      return out;
    }
  }
}
