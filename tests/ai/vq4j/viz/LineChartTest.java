package ai.vq4j.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LineChartTest {
  @TempDir Path dir;

  @AfterEach
  void fontsBack() {
    Awt.forceTextOff(false);
  }

  private static double[] range(int n) {
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = i;
    }
    return x;
  }

  /**
   * Pixels in {@code area} drawn in the colour {@code rgb}: that colour at 30% coverage or more over the white
   * background, as antialiasing leaves a 1.5-pixel line that straddles two pixel rows. Light grid lines and other
   * series' colours do not match.
   */
  private static int countColour(BufferedImage img, Rectangle area, int rgb) {
    int[] c = {rgb >> 16 & 0xFF, rgb >> 8 & 0xFF, rgb & 0xFF};
    int k = 0;
    for (int j = 1; j < 3; j++) {
      k = c[j] < c[k] ? j : k; // the channel furthest from white measures coverage best
    }
    int n = 0;
    for (int y = area.y; y < area.y + area.height; y++) {
      for (int x = area.x; x < area.x + area.width; x++) {
        int q = img.getRGB(x, y);
        int[] p = {q >> 16 & 0xFF, q >> 8 & 0xFF, q & 0xFF};
        double a = (255.0 - p[k]) / (255.0 - c[k]);
        boolean match = a >= 0.3;
        for (int j = 0; j < 3 && match; j++) {
          match = Math.abs(p[j] - (255 * (1 - a) + c[j] * a)) <= 16;
        }
        n += match ? 1 : 0;
      }
    }
    return n;
  }

  /** Pixels that are neither white nor light grey, anywhere in {@code area}. */
  private static int countInk(BufferedImage img, Rectangle area) {
    int n = 0;
    for (int y = area.y; y < area.y + area.height; y++) {
      for (int x = area.x; x < area.x + area.width; x++) {
        int p = img.getRGB(x, y);
        n += Math.min(p >> 16 & 0xFF, Math.min(p >> 8 & 0xFF, p & 0xFF)) < 160 ? 1 : 0;
      }
    }
    return n;
  }

  private static Rectangle inside(Rectangle r) {
    return new Rectangle(r.x + 2, r.y + 2, r.width - 4, r.height - 4);
  }

  @Test
  void writesAPngOfTheRequestedSizeWithTheSeriesInsideThePlotArea() throws IOException {
    double[] x = range(200);
    double[] y = new double[200];
    for (int i = 0; i < y.length; i++) {
      y[i] = Math.exp(-i / 50.0);
    }
    LineChart chart = new LineChart("loss").size(640, 400).xLabel("step").yLabel("loss")
        .add("train", x, y).add("val", x, new double[200]);
    Path file = dir.resolve("loss.png");
    chart.write(file);
    BufferedImage img = Png.read(file);
    assertEquals(640, img.getWidth());
    assertEquals(400, img.getHeight());
    Rectangle plot = chart.plotArea();
    assertTrue(countColour(img, inside(plot), LineChart.colour(0)) > 200, "first series drawn in the plot area");
    assertTrue(countColour(img, inside(plot), LineChart.colour(1)) > 200, "second series drawn in the plot area");
    assertEquals(0xFFFFFF, img.getRGB(1, 1) & 0xFFFFFF, "background outside the plot");
    // exp(-i/50) falls: its first point is top left, its last near the bottom right, not the other way round.
    int left = countColour(img, new Rectangle(plot.x + 2, plot.y + 2, 20, plot.height / 3), LineChart.colour(0));
    int bottomLeft = countColour(img, new Rectangle(plot.x + 2, plot.y + plot.height * 2 / 3, 20,
        plot.height / 3 - 2), LineChart.colour(0));
    assertTrue(left > 0 && bottomLeft == 0, "falling curve starts high: top " + left + ", bottom " + bottomLeft);
  }

  @Test
  void textIsDrawnWhenFontsExist() {
    Assumptions.assumeTrue(Awt.textAvailable(), () -> "no fonts on this machine: " + Awt.textFailure());
    BufferedImage img = new LineChart("A title").add("s", range(3), new double[] {1, 2, 3}).render();
    assertTrue(countInk(img, new Rectangle(0, 0, img.getWidth(), LineChart.MARGIN_TOP - 2)) > 20, "title pixels");
    assertTrue(countInk(img, new Rectangle(0, LineChart.MARGIN_TOP, LineChart.MARGIN_LEFT - 6,
        img.getHeight() - LineChart.MARGIN_TOP - LineChart.MARGIN_BOTTOM)) > 20, "y tick labels");
  }

  @Test
  void withoutFontsTheChartIsStillDrawnAtTheSameSizeWithoutText() throws IOException {
    Awt.forceTextOff(true);
    LineChart chart = new LineChart("A title").xLabel("step").add("s", range(50), range(50));
    Path file = dir.resolve("nofont.png");
    chart.write(file);
    BufferedImage img = Png.read(file);
    assertEquals(800, img.getWidth());
    assertEquals(500, img.getHeight());
    assertEquals(0, countInk(img, new Rectangle(0, 0, img.getWidth(), LineChart.MARGIN_TOP - 2)), "no title");
    assertTrue(countColour(img, inside(chart.plotArea()), LineChart.colour(0)) > 100, "the series is drawn");
    BufferedImage grid = ImageGrid.defaults().withColumnLabels(java.util.List.of("x"))
        .render(new float[4 * 4], 1, 4, 4, 1);
    assertEquals(4 + 4 + ImageGrid.LABEL_STRIP, grid.getHeight(), "grid keeps its label strip, blank");
  }

  @Test
  void nonFiniteValuesAreSkipped() {
    double[] y = {1, Double.NaN, 3, Double.POSITIVE_INFINITY, 5, Double.NEGATIVE_INFINITY, 2};
    double[] x = {0, 1, 2, 3, Double.NaN, 5, 6};
    LineChart chart = new LineChart("").add("s", x, y);
    BufferedImage img = chart.render();
    assertTrue(countColour(img, inside(chart.plotArea()), LineChart.colour(0)) > 10);
  }

  @Test
  void logScaleSkipsNonPositiveValuesAndBreaksTheLineThere() {
    double[] x = range(100);
    double[] y = new double[100];
    for (int i = 0; i < y.length; i++) {
      y[i] = i % 10 == 0 ? (i % 20 == 0 ? 0 : -1) : Math.pow(10, -i / 25.0);
    }
    LineChart chart = new LineChart("log").logY(true).add("s", x, y);
    BufferedImage img = chart.render();
    Rectangle plot = chart.plotArea();
    assertTrue(countColour(img, inside(plot), LineChart.colour(0)) > 300, "positive values drawn");
    // Drawable x runs 1..99; log10(y) runs -0.04..-3.96, widened by 5% of its span on each side.
    double lo = -3.96 - 0.196;
    double hi = -0.04 + 0.196;
    int px45 = (int) Math.round(plot.x + (45 - 1) / 98.0 * plot.width);
    int py45 = (int) Math.round(plot.y + plot.height - (-45 / 25.0 - lo) / (hi - lo) * plot.height);
    assertTrue(countColour(img, new Rectangle(px45 - 2, py45 - 2, 5, 5), LineChart.colour(0)) > 0,
        "the point for step 45 is where a log axis puts it");
    // On a linear axis (range -0.0455..0.958) step 45's value 0.0158 would sit 6% above the bottom.
    int linearPy45 = (int) Math.round(plot.y + plot.height * (1 - 0.061));
    assertEquals(0, countColour(img, new Rectangle(px45 - 2, linearPy45 - 10, 5, 20), LineChart.colour(0)),
        "not where a linear axis would put it");
    int px50 = (int) Math.round(plot.x + (50 - 1) / 98.0 * plot.width);
    assertEquals(0, countColour(img, new Rectangle(px50 - 2, plot.y + 1, 5, plot.height - 2), LineChart.colour(0)),
        "the line breaks at the skipped step 50");
  }

  @Test
  void logScaleWithNothingPositiveStillRenders() {
    LineChart chart = new LineChart("").logY(true).add("s", new double[] {1, 2}, new double[] {0, -3});
    BufferedImage withText = chart.render();
    assertEquals(800, withText.getWidth());
    Awt.forceTextOff(true); // no legend either, so any pixel in the series colour would be data
    BufferedImage img = chart.render();
    assertEquals(0, countColour(img, inside(chart.plotArea()), LineChart.colour(0)), "nothing drawable, no line");
  }

  @Test
  void aSinglePointIsADot() {
    LineChart chart = new LineChart("").add("s", new double[] {7}, new double[] {0.25});
    BufferedImage img = chart.render();
    Rectangle plot = chart.plotArea();
    int cx = plot.x + plot.width / 2;
    int cy = plot.y + plot.height / 2;
    assertTrue(countColour(img, new Rectangle(cx - 3, cy - 3, 7, 7), LineChart.colour(0)) >= 5,
        "dot at the centre of the plot");
  }

  @Test
  void aConstantSeriesIsAHorizontalLineMidHeight() {
    LineChart chart = new LineChart("").add("s", range(10), new double[] {3, 3, 3, 3, 3, 3, 3, 3, 3, 3});
    BufferedImage img = chart.render();
    Rectangle plot = chart.plotArea();
    int cy = plot.y + plot.height / 2;
    Rectangle band = new Rectangle(plot.x + 2, cy - 2, plot.width - 4, 5);
    assertTrue(countColour(img, band, LineChart.colour(0)) >= plot.width - 4, "line across the middle");
  }

  @Test
  void manyPointsAreDrawn() {
    int n = 300_000;
    double[] x = range(n);
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      y[i] = Math.sin(i / 1000.0) + (i == n / 2 + 100 ? 10 : 0);
    }
    LineChart chart = new LineChart("").add("s", x, y);
    BufferedImage img = chart.render();
    Rectangle plot = chart.plotArea();
    // The one-point spike to 10 sets the top of the range and must survive the per-column reduction.
    int cx = plot.x + plot.width / 2;
    assertTrue(countColour(img, new Rectangle(cx - 3, plot.y + 2, 7, 30), LineChart.colour(0)) > 0,
        "spike at the top centre survives downsampling");
  }

  @Test
  void seriesBuiltPointByPoint() {
    LineChart.Series s = new LineChart.Series("train");
    for (int i = 0; i < 40; i++) {
      s.add(i * 10, 1.0 / (i + 1));
    }
    assertEquals(40, s.size());
    LineChart chart = new LineChart("t").add(s);
    assertTrue(countColour(chart.render(), inside(chart.plotArea()), LineChart.colour(0)) > 50);
  }

  @Test
  void emptyOrMismatchedSeriesAndNoSeriesAreRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new LineChart("").add("train", new double[0], new double[0]));
    assertTrue(e.getMessage().contains("train"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new LineChart("").add(new LineChart.Series("x")));
    IllegalArgumentException m = assertThrows(IllegalArgumentException.class,
        () -> new LineChart("").add("val", new double[3], new double[2]));
    assertTrue(m.getMessage().contains("3 steps but 2 values"), m.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new LineChart("").render());
    assertThrows(IllegalArgumentException.class, () -> new LineChart("").size(10, 10));
  }

  @Test
  void tickLabelsUseTheDigitsTheSpacingNeeds() {
    assertEquals("0", LineChart.format(0, 0.1));
    assertEquals("0", LineChart.format(1e-17, 0.1), "rounding noise at zero");
    assertEquals("0.3", LineChart.format(0.30000000000000004, 0.1));
    assertEquals("0.25", LineChart.format(0.25, 0.05));
    assertEquals("1500", LineChart.format(1500, 500));
    assertEquals("-2", LineChart.format(-2, 1));
    assertEquals("1e-05", LineChart.format(1e-5, 1e-5));
    assertEquals("2.5e+06".replace("+", ""), LineChart.format(2.5e6, 5e5));
    assertEquals(0.2, LineChart.niceStep(0.13), 1e-12);
    assertEquals(5.0, LineChart.niceStep(3.3), 1e-12);
    assertEquals(1000.0, LineChart.niceStep(999), 1e-9);
  }

  @Test
  void pngFileIsValid() throws IOException {
    Path file = dir.resolve("c.png");
    new LineChart("x").add("s", range(3), range(3)).write(file);
    byte[] head = Files.readAllBytes(file);
    assertEquals((byte) 0x89, head[0]);
    assertEquals('P', head[1]);
    assertNotNull(Png.read(file));
  }
}
