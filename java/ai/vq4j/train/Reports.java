package ai.vq4j.train;

import ai.vq4j.data.Dataset;
import ai.vq4j.model.VqVae;
import ai.vq4j.tensor.Tensor;
import ai.vq4j.viz.ImageGrid;
import ai.vq4j.viz.LineChart;
import ai.vq4j.viz.Png;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The pictures a run leaves: the loss curves and test originals above their reconstructions. */
public final class Reports {
  /** Test images shown in the reconstruction grid. */
  public static final int GRID_IMAGES = 32;

  private Reports() {}

  public static void write(Path outDir, VqVae model, Dataset test, Path metrics) throws IOException {
    lossCurve(metrics, outDir.resolve("loss.png"));
    reconstructionGrid(model, test, outDir.resolve("reconstructions.png"));
  }

  /** Loss, reconstruction MSE and quantizer loss by step (log scale), from a metrics log. */
  public static void lossCurve(Path metrics, Path png) throws IOException {
    lossCurve(metrics, png, "VQ-VAE training", "loss (log scale)", true, new String[] {"loss", "recon_mse", "vq_loss"},
        new String[] {"loss", "reconstruction MSE", "||z_e - z_q||^2"});
  }

  /** The named fields of a metrics log by step, one line each. */
  public static void lossCurve(Path metrics, Path png, String title, String yLabel, boolean logY, String[] fields,
      String[] names) throws IOException {
    List<JsonObject> records = MetricsLog.read(metrics);
    if (records.isEmpty()) {
      throw new IOException(metrics + ": no metrics to plot");
    }
    int n = records.size();
    double[] steps = new double[n];
    for (int i = 0; i < n; i++) {
      steps[i] = records.get(i).get("step").getAsDouble();
    }
    LineChart chart = new LineChart(title).xLabel("step").yLabel(yLabel).logY(logY);
    for (int f = 0; f < fields.length; f++) {
      double[] values = new double[n];
      for (int i = 0; i < n; i++) {
        JsonObject o = records.get(i);
        if (!o.has(fields[f])) {
          throw new IOException(metrics + ": line " + (i + 1) + " has no '" + fields[f] + "'");
        }
        values[i] = o.get(fields[f]).getAsDouble();
      }
      chart.add(names[f], steps, values);
    }
    chart.write(png);
  }

  /** Code usage over a test set: each code's count, codes sorted from most to least used (log scale). */
  public static void usageChart(long[] counts, Path png) throws IOException {
    long[] sorted = counts.clone();
    java.util.Arrays.sort(sorted);
    double[] rank = new double[sorted.length];
    double[] count = new double[sorted.length];
    int used = 0;
    for (int i = 0; i < sorted.length; i++) {
      rank[i] = i + 1;
      count[i] = sorted[sorted.length - 1 - i];
      used += count[i] > 0 ? 1 : 0;
    }
    new LineChart("Code usage (" + used + " of " + counts.length + " codes used)").xLabel("code rank")
        .yLabel("vectors assigned (log scale)").logY(true).add("count", rank, count).write(png);
  }

  /** The first test images, each above its reconstruction. */
  public static void reconstructionGrid(VqVae model, Dataset test, Path png) throws IOException {
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
