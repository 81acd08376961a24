package ai.vq4j.eval;

import ai.vq4j.data.Batcher;
import ai.vq4j.data.Dataset;
import ai.vq4j.model.VqVae;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Tensor;

/**
 * A VQ-VAE measured over a whole test set: reconstruction MSE and PSNR (pixels in [-0.5, 0.5], so the peak
 * is 1), the perplexity of code use and each code's count over the set, and the paper's uniform-prior bound
 * on the negative log-likelihood in bits per dimension: (reconstruction NLL + N_latents ln K) /
 * (pixel dimensions ln 2). The reconstruction NLL is the discretised Gaussian of {@link Likelihood}, its
 * sigma the MLE (sigma^2 = MSE) on the first half of the set, the NLL taken over the second half, so the
 * sigma is fitted on data it is not scored on.
 */
public record Evaluation(int images, double mse, double psnr, double perplexity, long[] codeCounts, int codesUsed,
    double sigmaGreyLevels, double reconNllNatsPerImage, int latentsPerImage, int dimsPerImage,
    double bitsPerDimUniformPrior) implements ModelEvaluation {

  public static Evaluation run(VqVae model, Dataset test, int batchSize) {
    int n = test.size();
    if (n < 2) {
      throw new IllegalArgumentException("evaluation needs at least 2 test images, " + test.name() + " has " + n);
    }
    int s = model.config().imageSize;
    int c = model.config().imageChannels;
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
    // Squared errors against the set's own images: over all for the MSE, over the first half for sigma.
    int half = n / 2;
    double sqErr = 0;
    double fitErr = 0;
    float[] image = new float[dims];
    for (int i = 0; i < n; i++) {
      test.copyImage(i, image, 0);
      double imageErr = 0;
      for (int j = 0; j < dims; j++) {
        double e = recon[i * dims + j] - image[j];
        imageErr += e * e;
      }
      sqErr += imageErr;
      if (i < half) {
        fitErr += imageErr;
      }
    }
    double mse = sqErr / ((double) n * dims);
    double sigma = Math.max(Math.sqrt(fitErr / ((double) half * dims)) * 255, 1e-3);
    double nll = 0;
    for (int i = half; i < n; i++) {
      test.copyImage(i, image, 0);
      for (int j = 0; j < dims; j++) {
        int v = (int) Math.round((image[j] + 0.5) * 255);
        nll += Likelihood.discretizedGaussianNll(v, (recon[i * dims + j] + 0.5) * 255, sigma);
      }
    }
    double nllPerImage = nll / (n - half);
    double bitsPerDim = BitsPerDim.uniformPrior(nllPerImage, latents, k, dims);
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
    double psnr = 10 * Math.log10(1 / mse);
    return new Evaluation(n, mse, psnr, Math.exp(entropy), counts, used, sigma, nllPerImage, latents, dims, bitsPerDim);
  }

  @Override
  public String summary() {
    return String.format("test images      %d%n"
        + "MSE              %.6f  (pixels in [-0.5, 0.5])%n"
        + "PSNR             %.2f dB%n"
        + "perplexity       %.1f of %d codes (%d used)%n"
        + "recon NLL        %.1f nats/image (discretised Gaussian, sigma %.2f grey levels fitted on the first half)%n"
        + "bits/dim bound   %.4f  (uniform prior: recon NLL + %d x ln %d, over %d dims)%n",
        images, mse, psnr, perplexity, codeCounts.length, codesUsed, reconNllNatsPerImage, sigmaGreyLevels,
        bitsPerDimUniformPrior, latentsPerImage, codeCounts.length, dimsPerImage);
  }
}
