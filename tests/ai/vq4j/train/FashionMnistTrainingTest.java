package ai.vq4j.train;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.vq4j.data.Batcher;
import ai.vq4j.data.Dataset;
import ai.vq4j.data.Datasets;
import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The model learns on real data: a short run on Fashion-MNIST lowers the loss and raises the perplexity. */
class FashionMnistTrainingTest {
  @Test
  void lossFallsAndPerplexityRises() throws Exception {
    assumeTrue(Files.exists(Datasets.FASHION_MNIST_DIR.resolve("train-images-idx3-ubyte.gz")),
        "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
    Dataset train = Datasets.forModel("fashion-mnist", null, true, 32, 1).first(4096);
    VqVaeConfig c = VqVaeConfig.sonnet(1);
    c.hidden = 32;
    c.residualHidden = 16;
    c.embeddingDim = 16;
    c.numEmbeddings = 128;
    List<VqVaeStepMetrics> metrics = new ArrayList<>();
    try (VqVae model = new VqVae(c, Device.CPU);
         VqVaeTrainer trainer = new VqVaeTrainer(model, 1e-3, 0, train.pixelVariance(), 1);
         Tensor x = Tensor.zeros(Device.CPU, DType.FLOAT32, 32, 32, 32, 1)) {
      Batcher batcher = Batcher.builder(train, 32).seed(1).build();
      for (int i = 0; i < 120; i++) {
        batcher.next(x, null);
        metrics.add(trainer.step(x));
      }
    }
    double lossStart = mean(metrics.subList(0, 10), true);
    double lossEnd = mean(metrics.subList(110, 120), true);
    double pplEarly = mean(metrics.subList(5, 15), false);
    double pplEnd = mean(metrics.subList(110, 120), false);
    assertTrue(lossEnd < 0.4 * lossStart, "loss falls: first 10 steps " + lossStart + ", last 10 " + lossEnd);
    assertTrue(pplEnd > 1.5 * pplEarly, "perplexity rises: steps 6-15 " + pplEarly + ", last 10 " + pplEnd);
  }

  static double mean(List<VqVaeStepMetrics> m, boolean loss) {
    return m.stream().mapToDouble(s -> loss ? s.loss() : s.perplexity()).average().orElseThrow();
  }
}
