package ai.vq4j.train;

import ai.vq4j.viz.LineChart;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The loss curves of a run, drawn from its metrics log. */
public final class Reports {
  private Reports() {}

  /** Loss, reconstruction MSE and quantizer loss by step (log scale), from a VQ-VAE's metrics log. */
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
}
