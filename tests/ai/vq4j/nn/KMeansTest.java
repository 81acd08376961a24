package ai.vq4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.Close;
import ai.vq4j.io.Safetensors;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** k-means codebook initialisation: Lloyd against PyTorch, k-means++ seeding, determinism for a seed. */
class KMeansTest {
  @Test
  void lloydMatchesPyTorch() throws IOException {
    Safetensors g = Safetensors.read(Path.of("tests", "golden", "data", "kmeans_lloyd.safetensors"));
    int d = Integer.parseInt(g.meta("d"));
    int k = Integer.parseInt(g.meta("k"));
    float[] points = g.floats("points");
    float[] got = KMeans.lloyd(Device.CPU, points, d, Arrays.copyOf(points, k * d),
        Integer.parseInt(g.meta("iterations")));
    Close.assertClose("centres", g.floats("centres"), got, 1e-5, 1e-5);
  }

  /** Six tight blobs far apart: k-means++ puts one seed in each, and the seeds are data points. */
  @Test
  void seedingSpreadsOverClustersAndIsDeterministic() {
    int d = 2;
    int k = 6;
    int per = 50;
    Rng rng = new Rng(4);
    float[] points = new float[k * per * d];
    for (int b = 0; b < k; b++) {
      for (int i = 0; i < per; i++) {
        points[(b * per + i) * d] = (float) (100 * b + 0.1 * rng.nextGaussian());
        points[(b * per + i) * d + 1] = (float) (0.1 * rng.nextGaussian());
      }
    }
    float[] seeds = KMeans.seed(points, d, k, new Rng(11));
    boolean[] hit = new boolean[k];
    for (int j = 0; j < k; j++) {
      int blob = Math.round(seeds[j * d] / 100);
      assertFalse(hit[blob], "two seeds in blob " + blob + ": " + Arrays.toString(seeds));
      hit[blob] = true;
    }
    assertArrayEquals(KMeans.fit(Device.CPU, points, d, k, 3, new Rng(11)),
        KMeans.fit(Device.CPU, points, d, k, 3, new Rng(11)), "same seed, same centres");
    float[] centres = KMeans.fit(Device.CPU, points, d, k, 3, new Rng(11));
    for (int j = 0; j < k; j++) {
      assertEquals(Math.round(centres[j * d] / 100) * 100, centres[j * d], 0.1, "centre " + j + " at its blob mean");
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> KMeans.fit(Device.CPU, new float[4], 2, 3, 1, new Rng(1)));
    assertTrue(e.getMessage().contains("at least k = 3"), e.getMessage());
  }

  /** The quantizer's k-means init is KMeans.fit on the batch with the trainer's RNG, and restarts the usage. */
  @Test
  void quantizerInitialisesByKMeans() {
    Rng rng = new Rng(8);
    float[] z = LayerGradientTest.randn(rng, 64 * 3);
    try (GradientCodebookQuantizer q = new GradientCodebookQuantizer("q", Device.CPU, new Rng(1), 5, 3, 0.25f, 0.1f,
        Quantizer.Gradient.STRAIGHT_THROUGH, false);
         Tensor zE = Tensor.of(Device.CPU, z, 4, 4, 4, 3)) {
      q.initFromData(zE, new Rng(21), 4);
      assertArrayEquals(KMeans.fit(Device.CPU, z, 3, 5, 4, new Rng(21)), q.codebook().value().toFloatArray());
      assertArrayEquals(new float[] {1, 1, 1, 1, 1}, q.usage());
    }
  }
}
