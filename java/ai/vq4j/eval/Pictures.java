package ai.vq4j.eval;

import ai.vq4j.data.ImageSet;
import ai.vq4j.model.VqVae;
import ai.vq4j.tensor.Tensor;
import ai.vq4j.viz.ImageGrid;
import ai.vq4j.viz.LineChart;
import ai.vq4j.viz.Png;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** The pictures and tables of a trained VQ-VAE: test originals above their reconstructions, code usage. */
public final class Pictures {
  /** Test images shown in the reconstruction grid. */
  public static final int GRID_IMAGES = 32;

  private Pictures() {}

  /** Code usage over a test set: each code's count, codes sorted from most to least used (log scale). */
  public static void usageChart(long[] counts, Path png) throws IOException {
    usageChart(Arrays.stream(counts).asDoubleStream().toArray(), "vectors assigned (log scale)", png);
  }

  /** Code usage by any measure (counts, a usage EMA), codes sorted from most to least used (log scale). */
  public static void usageChart(double[] usage, String yLabel, Path png) throws IOException {
    double[] sorted = usage.clone();
    Arrays.sort(sorted);
    double[] rank = new double[sorted.length];
    double[] value = new double[sorted.length];
    int used = 0;
    for (int i = 0; i < sorted.length; i++) {
      rank[i] = i + 1;
      value[i] = sorted[sorted.length - 1 - i];
      used += value[i] > 0 ? 1 : 0;
    }
    new LineChart("Code usage (" + used + " of " + usage.length + " codes used)").xLabel("code rank")
        .yLabel(yLabel).logY(true).add("usage", rank, value).write(png);
  }

  /** code,count lines. */
  public static void usageCsv(long[] counts, Path file) throws IOException {
    StringBuilder sb = new StringBuilder("code,count\n");
    for (int j = 0; j < counts.length; j++) {
      sb.append(j).append(',').append(counts[j]).append('\n');
    }
    Files.writeString(file, sb);
  }

  /** The first test images, each above its reconstruction. */
  public static void reconstructionGrid(VqVae model, ImageSet test, Path png) throws IOException {
    int n = Math.min(GRID_IMAGES, test.size());
    float[] originals = new float[n * test.imageSize()];
    for (int i = 0; i < n; i++) {
      test.copyImage(i, originals, i * test.imageSize());
    }
    float[] recon;
    try (Tensor x = Tensor.of(model.device(), originals, n, test.height(), test.width(), test.channels())) {
      recon = model.forward(x, false).toFloatArray();
    }
    Png.write(ImageGrid.defaults().withColumns(16).withScale(2)
        .renderPairs(originals, recon, n, test.height(), test.width(), test.channels()), png);
  }
}
