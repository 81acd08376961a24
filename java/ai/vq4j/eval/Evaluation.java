package ai.vq4j.eval;

import ai.vq4j.data.Batcher;
import ai.vq4j.data.Dataset;
import ai.vq4j.model.VqVae;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Tensor;

/**
 * A VQ-VAE measured over a whole test set: the perplexity of code use and each code's count over the set,
 * and the image scores ({@link Scores}) over the set's own pixels ({@link Dataset#nativeArea}: 28x28 for
 * MNIST and Fashion-MNIST, the whole image elsewhere), which are what other implementations report. The
 * padding a 28x28 image gets to fit a 32x32 model is reconstructed almost exactly, so scores over the padded
 * image look better (about 1.1 dB of PSNR on Fashion-MNIST); they follow as {@link #padded}, labelled.
 */
public record Evaluation(int images, double perplexity, long[] codeCounts, int codesUsed, int latentsPerImage,
    Dataset.Area area, Scores nativeImage, Scores padded) implements ModelEvaluation {

  /**
   * Reconstruction MSE and PSNR (pixels in [-0.5, 0.5], so the peak is 1) over dims pixel values per image,
   * and the paper's uniform-prior bound on the negative log-likelihood in bits per dimension:
   * (reconstruction NLL + N_latents ln K) / (dims ln 2). The reconstruction NLL is the discretised Gaussian
   * of {@link Likelihood}, its sigma the MLE (sigma^2 = MSE) on the first half of the set, the NLL taken over
   * the second half, so the sigma is fitted on data it is not scored on.
   */
  public record Scores(int dims, double mse, double psnr, double sigmaGreyLevels, double reconNllNatsPerImage,
      double bitsPerDimUniformPrior) {}

  public static Evaluation run(VqVae model, Dataset test, int batchSize) {
    int n = test.size();
    if (n < 2) {
      throw new IllegalArgumentException("evaluation needs at least 2 test images, " + test.name() + " has " + n);
    }
    int s = model.config().imageSize;
    int c = model.config().imageChannels;
    if (test.height() != s || test.width() != s || test.channels() != c) {
      throw new IllegalArgumentException("evaluation: " + test.name() + " images are " + test.height() + "x"
          + test.width() + "x" + test.channels() + ", the model takes " + s + "x" + s + "x" + c);
    }
    int dims = s * s * c;
    int k = model.config().numEmbeddings;
    int latents = model.config().latentSize() * model.config().latentSize();
    Batcher batcher = Batcher.builder(test, batchSize).shuffle(false).dropLast(false).build();
    float[] recon = new float[Math.multiplyExact(n, dims)];
    long[] counts = new long[k];
    int done = 0;
    try (Tensor x = Tensor.zeros(model.device(), DType.FLOAT32, batchSize, s, s, c)) {
      while (done < n) {
        int count = batcher.next(x, null);
        float[] r = model.forward(x, false).toFloatArray();
        int[] codes = model.quantizer().codes().toIntArray();
        for (int i = 0; i < count * latents; i++) {
          counts[codes[i]]++;
        }
        System.arraycopy(r, 0, recon, done * dims, count * dims);
        done += count;
      }
    }
    Dataset.Area area = test.nativeArea();
    boolean[] inArea = new boolean[dims];
    for (int i = 0; i < dims; i++) {
      inArea[i] = area.contains(i / c / s, i / c % s);
    }
    Scores nativeImage = score(test, recon, inArea, latents, k);
    Scores padded = area.values(c) == dims ? null : score(test, recon, null, latents, k);
    double entropy = 0;
    int used = 0;
    long total = (long) n * latents;
    for (long cnt : counts) {
      if (cnt > 0) {
        used++;
        double p = (double) cnt / total;
        entropy -= p * Math.log(p);
      }
    }
    return new Evaluation(n, Math.exp(entropy), counts, used, latents, area, nativeImage, padded);
  }

  /** The scores over the pixel values where mask is true (all when null). */
  private static Scores score(Dataset test, float[] recon, boolean[] mask, int latents, int k) {
    int n = test.size();
    int dims = test.imageSize();
    int scored = 0;
    for (int j = 0; j < dims; j++) {
      scored += mask == null || mask[j] ? 1 : 0;
    }
    // Squared errors against the set's own images: over all for the MSE, over the first half for sigma.
    int half = n / 2;
    double sqErr = 0;
    double fitErr = 0;
    float[] image = new float[dims];
    for (int i = 0; i < n; i++) {
      test.copyImage(i, image, 0);
      double imageErr = 0;
      for (int j = 0; j < dims; j++) {
        if (mask == null || mask[j]) {
          double e = recon[i * dims + j] - image[j];
          imageErr += e * e;
        }
      }
      sqErr += imageErr;
      if (i < half) {
        fitErr += imageErr;
      }
    }
    double mse = sqErr / ((double) n * scored);
    double sigma = Math.max(Math.sqrt(fitErr / ((double) half * scored)) * 255, 1e-3);
    double nll = 0;
    for (int i = half; i < n; i++) {
      test.copyImage(i, image, 0);
      for (int j = 0; j < dims; j++) {
        if (mask == null || mask[j]) {
          int v = (int) Math.round((image[j] + 0.5) * 255);
          nll += Likelihood.discretizedGaussianNll(v, (recon[i * dims + j] + 0.5) * 255, sigma);
        }
      }
    }
    double nllPerImage = nll / (n - half);
    return new Scores(scored, mse, 10 * Math.log10(1 / mse), sigma, nllPerImage,
        BitsPerDim.uniformPrior(nllPerImage, latents, k, scored));
  }

  /** MSE over the native image. */
  public double mse() {
    return nativeImage.mse;
  }

  /** PSNR over the native image. */
  public double psnr() {
    return nativeImage.psnr;
  }

  /** Reconstruction NLL over the native image, nats per image (second half of the set). */
  public double reconNllNatsPerImage() {
    return nativeImage.reconNllNatsPerImage;
  }

  /** Pixel values of the native image. */
  public int dimsPerImage() {
    return nativeImage.dims;
  }

  /** The uniform-prior bits/dim bound over the native image. */
  public double bitsPerDimUniformPrior() {
    return nativeImage.bitsPerDimUniformPrior;
  }

  /** A few lines for people: the native image first, the padded one after, labelled. */
  @Override
  public String summary() {
    String where = padded == null ? "the whole image" : String.format("the native %dx%d image (padding cropped)",
        area.height(), area.width());
    String text = String.format("test images      %d%n"
        + "perplexity       %.1f of %d codes (%d used)%n"
        + "over %s:%n", images, perplexity, codeCounts.length, codesUsed, where) + lines(nativeImage);
    if (padded != null) {
      text += String.format("over the padded image (the border is reconstructed trivially; not comparable):%n")
          + lines(padded);
    }
    return text;
  }

  private String lines(Scores v) {
    return String.format("MSE              %.6f  (pixels in [-0.5, 0.5])%n"
        + "PSNR             %.2f dB%n"
        + "recon NLL        %.1f nats/image (discretised Gaussian, sigma %.2f grey levels fitted on the first half)%n"
        + "bits/dim bound   %.4f  (uniform prior: recon NLL + %d x ln %d, over %d dims)%n",
        v.mse, v.psnr, v.reconNllNatsPerImage, v.sigmaGreyLevels, v.bitsPerDimUniformPrior, latentsPerImage,
        codeCounts.length, v.dims);
  }
}
