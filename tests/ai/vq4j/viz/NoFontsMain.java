package ai.vq4j.viz;

import java.awt.GraphicsEnvironment;
import java.nio.file.Path;
import java.util.List;

/**
 * Run by {@link NoFontsTest} in a child JVM that cannot see any font: draws a chart and a labelled grid, writes
 * both, and reports whether text was available and whether AWT was headless.
 */
public final class NoFontsMain {
  private NoFontsMain() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    new LineChart("no fonts").xLabel("step").yLabel("loss").logY(true)
        .add("train", new double[] {1, 2, 3, 4}, new double[] {1, 0.5, 0.2, 0.1})
        .size(400, 300)
        .write(dir.resolve("chart.png"));
    Png.write(ImageGrid.defaults().withColumnLabels(List.of("a", "b"))
        .render(new float[2 * 4 * 4], 2, 4, 4, 1), dir.resolve("grid.png"));
    System.out.println("text=" + Awt.textAvailable());
    System.out.println("headless=" + GraphicsEnvironment.isHeadless());
    System.out.println("failure=" + Awt.textFailure());
  }
}
