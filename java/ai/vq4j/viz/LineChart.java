package ai.vq4j.viz;

import java.awt.AlphaComposite;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Composite;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A line chart of one or more named series of (step, value) points, drawn to a PNG with plain Java2D: loss and
 * perplexity curves from a training run, without a plotting library or a display.
 *
 * <p>What it tolerates, because training data is messy: NaN and infinite values (a diverged step) are skipped and
 * break the line there, and the legend says how many points each series lost; with a log-scale y axis, values
 * {@code <= 0} are skipped the same way rather than rejected, so a chart written as a side effect never stops a run.
 * A series with one drawable point shows as a dot; a constant series gets a y range around its value; when nothing
 * at all is drawable the axes are drawn with a note saying so. Long series (hundreds of thousands of points) are
 * reduced before drawing to the first, lowest, highest and last point of each pixel column, which draws the same
 * picture, spikes included, at a fraction of the cost. Points are joined in the order given.
 *
 * <p>The plot area and image size never depend on fonts, and on a machine without any (see {@code Awt}) the chart
 * is drawn without title, tick labels and legend rather than failing. Not thread-safe: build, then render.
 */
public final class LineChart {
  static {
    Awt.init();
  }

  /** Matplotlib's "tab10" colours: distinguishable, and familiar to anyone comparing with Python plots. */
  private static final int[] PALETTE = {
    0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD, 0x8C564B, 0xE377C2, 0x7F7F7F, 0xBCBD22, 0x17BECF
  };

  static final int MARGIN_LEFT = 80;
  static final int MARGIN_RIGHT = 20;
  static final int MARGIN_TOP = 36;
  static final int MARGIN_BOTTOM = 52;
  static final int MIN_WIDTH = MARGIN_LEFT + MARGIN_RIGHT + 40;
  static final int MIN_HEIGHT = MARGIN_TOP + MARGIN_BOTTOM + 40;

  private static final int BACKGROUND = 0xFFFFFF;
  private static final Color GRID = new Color(0xE4E4E4);
  private static final Color AXIS = new Color(0x333333);
  private static final Color TEXT = new Color(0x111111);
  private static final int TARGET_TICKS = 6;

  /** A named series of points, filled one point at a time (as a training loop logs them). */
  public static final class Series {
    private final String name;
    private double[] xs = new double[16];
    private double[] ys = new double[16];
    private int size;

    public Series(String name) {
      this.name = Objects.requireNonNull(name, "name");
    }

    /** Appends a point; NaN and infinite values are kept here and skipped when drawn. */
    public Series add(double step, double value) {
      if (size == xs.length) {
        xs = Arrays.copyOf(xs, size * 2);
        ys = Arrays.copyOf(ys, size * 2);
      }
      xs[size] = step;
      ys[size] = value;
      size++;
      return this;
    }

    public String name() {
      return name;
    }

    public int size() {
      return size;
    }
  }

  private final List<String> names = new ArrayList<>();
  private final List<double[]> xs = new ArrayList<>();
  private final List<double[]> ys = new ArrayList<>();
  private String title;
  private String xLabel = "";
  private String yLabel = "";
  private int width = 800;
  private int height = 500;
  private boolean logY;

  /** An empty 800x500 chart with a linear y axis; {@code title} may be empty. */
  public LineChart(String title) {
    this.title = title == null ? "" : title;
  }

  public LineChart title(String title) {
    this.title = title == null ? "" : title;
    return this;
  }

  public LineChart xLabel(String label) {
    this.xLabel = label == null ? "" : label;
    return this;
  }

  public LineChart yLabel(String label) {
    this.yLabel = label == null ? "" : label;
    return this;
  }

  /** Image size in pixels, at least {@value #MIN_WIDTH} x {@value #MIN_HEIGHT} so the plot area is not empty. */
  public LineChart size(int width, int height) {
    if (width < MIN_WIDTH || height < MIN_HEIGHT) {
      throw new IllegalArgumentException("LineChart size " + width + "x" + height + " is below the minimum "
          + MIN_WIDTH + "x" + MIN_HEIGHT);
    }
    this.width = width;
    this.height = height;
    return this;
  }

  /** Logarithmic (base 10) y axis; values {@code <= 0} are then skipped like NaN. */
  public LineChart logY(boolean logY) {
    this.logY = logY;
    return this;
  }

  /**
   * Adds a series; the arrays are copied.
   *
   * @throws IllegalArgumentException when the series has no points or the arrays differ in length
   */
  public LineChart add(String name, double[] steps, double[] values) {
    Objects.requireNonNull(name, "name");
    if (steps.length != values.length) {
      throw new IllegalArgumentException("LineChart series '" + name + "': " + steps.length + " steps but "
          + values.length + " values");
    }
    if (steps.length == 0) {
      throw new IllegalArgumentException("LineChart series '" + name + "' has no points");
    }
    names.add(name);
    xs.add(steps.clone());
    ys.add(values.clone());
    return this;
  }

  /** Adds a copy of {@code series} as it is now. */
  public LineChart add(Series series) {
    return add(series.name, Arrays.copyOf(series.xs, series.size), Arrays.copyOf(series.ys, series.size));
  }

  /** Where the data is drawn, inside the axes; fixed by the image size alone. */
  Rectangle plotArea() {
    return new Rectangle(MARGIN_LEFT, MARGIN_TOP, width - MARGIN_LEFT - MARGIN_RIGHT,
        height - MARGIN_TOP - MARGIN_BOTTOM);
  }

  /** Colour of series {@code i} as 0xRRGGBB (the palette repeats after ten series). */
  static int colour(int i) {
    return PALETTE[i % PALETTE.length];
  }

  /** Renders and writes the chart with {@link Png#write}. */
  public void write(Path file) throws IOException {
    Png.write(render(), file);
  }

  /**
   * Draws the chart.
   *
   * @throws IllegalArgumentException when no series was added
   */
  public BufferedImage render() {
    if (names.isEmpty()) {
      throw new IllegalArgumentException("LineChart '" + title + "': no series to draw");
    }
    Rectangle plot = plotArea();

    double xMin = Double.POSITIVE_INFINITY;
    double xMax = Double.NEGATIVE_INFINITY;
    double yMin = Double.POSITIVE_INFINITY;
    double yMax = Double.NEGATIVE_INFINITY;
    int[] skipped = new int[names.size()];
    for (int s = 0; s < names.size(); s++) {
      double[] x = xs.get(s);
      double[] y = ys.get(s);
      for (int i = 0; i < x.length; i++) {
        if (!drawable(x[i], y[i])) {
          skipped[s]++;
          continue;
        }
        double v = axisValue(y[i]);
        xMin = Math.min(xMin, x[i]);
        xMax = Math.max(xMax, x[i]);
        yMin = Math.min(yMin, v);
        yMax = Math.max(yMax, v);
      }
    }
    boolean empty = xMin > xMax;
    double[] xr = empty ? new double[] {0, 1} : widen(xMin, xMax, 0, false);
    double[] yr = empty ? new double[] {0, 1} : widen(yMin, yMax, 0.05, logY);
    Axis xAxis = new Axis(xr[0], xr[1], plot.x, plot.x + plot.width, false);
    Axis yAxis = new Axis(yr[0], yr[1], plot.y + plot.height, plot.y, logY);

    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setColor(new Color(BACKGROUND));
      g.fillRect(0, 0, width, height);
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
      drawGridAndTicks(g, plot, xAxis, yAxis);
      Rectangle clip = new Rectangle(plot.x - 3, plot.y - 3, plot.width + 7, plot.height + 7);
      g.setClip(clip);
      for (int s = 0; s < names.size(); s++) {
        drawSeries(g, xs.get(s), ys.get(s), xAxis, yAxis, new Color(colour(s)));
      }
      g.setClip(null);
      g.setColor(AXIS);
      g.setStroke(new BasicStroke(1f));
      g.draw(new Rectangle(plot.x, plot.y, plot.width, plot.height));
      drawText(g, img, plot, skipped, empty);
    } finally {
      g.dispose();
    }
    return img;
  }

  private boolean drawable(double x, double y) {
    return Double.isFinite(x) && Double.isFinite(y) && (!logY || y > 0);
  }

  /** The value as plotted: log10 on a log axis. */
  private double axisValue(double y) {
    return logY ? Math.log10(y) : y;
  }

  /**
   * A range around [min, max] (in axis units: log10 for a log axis) with {@code pad} of its span on each side; a
   * zero span (one point, a constant series) is opened up around the value so the line sits mid-height.
   */
  static double[] widen(double min, double max, double pad, boolean log) {
    double span = max - min;
    if (!(span > 0)) {
      double half = log ? 0.5 : (min == 0 ? 1 : Math.abs(min) * 0.1);
      return new double[] {min - half, max + half};
    }
    return new double[] {min - span * pad, max + span * pad};
  }

  /** A linear map from axis units to pixels, plus its ticks. */
  static final class Axis {
    final double min;
    final double max;
    final double from;
    final double to;
    final boolean log;

    Axis(double min, double max, double from, double to, boolean log) {
      this.min = min;
      this.max = max;
      this.from = from;
      this.to = to;
      this.log = log;
    }

    /** Pixel position of an axis-unit value; far-off values are pinned so the rasteriser never sees huge numbers. */
    double pixel(double v) {
      double p = from + (v - min) / (max - min) * (to - from);
      return Math.max(-1e5, Math.min(1e5, p));
    }

    /** Tick values in data units (not log10), each with its label. */
    List<Tick> ticks() {
      List<Tick> out = new ArrayList<>();
      if (log) {
        int lo = (int) Math.ceil(min - 1e-9);
        int hi = (int) Math.floor(max + 1e-9);
        if (hi - lo + 1 >= 2) {
          int every = Math.max(1, (int) Math.ceil((hi - lo + 1) / (double) (TARGET_TICKS + 2)));
          for (int e = lo; e <= hi; e++) {
            if (Math.floorMod(e, every) == 0) {
              double v = Math.pow(10, e);
              out.add(new Tick(e, format(v, v)));
            }
          }
          return out;
        }
        // Less than a decade: power-of-ten ticks would leave one tick or none, so use round values instead.
        double a = Math.pow(10, min);
        double b = Math.pow(10, max);
        double step = niceStep((b - a) / TARGET_TICKS);
        double first = Math.ceil(a / step);
        for (int k = 0; k <= 100; k++) {
          double v = (first + k) * step;
          if (v > b + step * 1e-9) {
            break;
          }
          if (v > 0) {
            out.add(new Tick(Math.log10(v), format(v, step)));
          }
        }
        return out;
      }
      double step = niceStep((max - min) / TARGET_TICKS);
      double first = Math.ceil(min / step) * step;
      for (int k = 0; ; k++) {
        double v = first + k * step;
        if (v > max + step * 1e-9 || k > 100) {
          break;
        }
        out.add(new Tick(v, format(v, step)));
      }
      return out;
    }
  }

  /** A tick at {@code at} (axis units) labelled {@code label}. */
  static final class Tick {
    final double at;
    final String label;

    Tick(double at, String label) {
      this.at = at;
      this.label = label;
    }
  }

  /** The 1, 2 or 5 times a power of ten closest above {@code rough}. */
  static double niceStep(double rough) {
    if (!(rough > 0) || !Double.isFinite(rough)) {
      return 1;
    }
    double p = Math.pow(10, Math.floor(Math.log10(rough)));
    double f = rough / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
  }

  /**
   * A tick label with as many digits as the tick spacing {@code step} needs and no more: "0.25", "1500", "3e-05".
   * Very large and very small magnitudes use exponent notation to stay narrow.
   */
  static String format(double v, double step) {
    if (Math.abs(v) < Math.abs(step) * 1e-9 || v == 0) {
      return "0";
    }
    double a = Math.abs(v);
    if (a >= 1e6 || a < 1e-4) {
      int exp = (int) Math.floor(Math.log10(a));
      int sig = Math.max(1, Math.min(6, exp - (int) Math.floor(Math.log10(Math.abs(step))) + 1));
      BigDecimal m = new BigDecimal(v / Math.pow(10, exp)).round(new MathContext(sig, RoundingMode.HALF_EVEN));
      if (m.abs().compareTo(BigDecimal.TEN) >= 0) {
        m = m.movePointLeft(1);
        exp++;
      }
      return m.stripTrailingZeros().toPlainString() + "e" + (exp < 0 ? "-" : "") + String.format("%02d", Math.abs(exp));
    }
    int decimals = Math.max(0, -(int) Math.floor(Math.log10(Math.abs(step)) + 1e-9));
    BigDecimal d = new BigDecimal(v).setScale(decimals, RoundingMode.HALF_EVEN).stripTrailingZeros();
    return d.signum() == 0 ? "0" : d.toPlainString();
  }

  private void drawGridAndTicks(Graphics2D g, Rectangle plot, Axis xAxis, Axis yAxis) {
    g.setStroke(new BasicStroke(1f));
    Awt.font(g, 11);
    int bottom = plot.y + plot.height;
    for (Tick t : xAxis.ticks()) {
      double px = xAxis.pixel(t.at);
      g.setColor(GRID);
      g.draw(new Line2D.Double(px, plot.y, px, bottom));
      g.setColor(AXIS);
      g.draw(new Line2D.Double(px, bottom, px, bottom + 4));
      g.setColor(TEXT);
      Awt.drawString(g, t.label, (float) (px - Awt.stringWidth(g, t.label) / 2.0), bottom + 6 + Awt.ascent(g));
    }
    for (Tick t : yAxis.ticks()) {
      double py = yAxis.pixel(t.at);
      g.setColor(GRID);
      g.draw(new Line2D.Double(plot.x, py, plot.x + plot.width, py));
      g.setColor(AXIS);
      g.draw(new Line2D.Double(plot.x - 4, py, plot.x, py));
      g.setColor(TEXT);
      Awt.drawString(g, t.label, plot.x - 7 - Awt.stringWidth(g, t.label), (float) (py + Awt.ascent(g) / 2.0 - 1));
    }
  }

  /**
   * Draws one series as a polyline, broken where points are skipped. Consecutive points in the same pixel column
   * are reduced to that column's first, lowest, highest and last point; a run of a single point is a dot.
   */
  private void drawSeries(Graphics2D g, double[] x, double[] y, Axis xAxis, Axis yAxis, Color colour) {
    g.setColor(colour);
    g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
    Path2D.Double path = new Path2D.Double();
    Run run = new Run(path);
    for (int i = 0; i < x.length; i++) {
      if (!drawable(x[i], y[i])) {
        run.end(g);
        continue;
      }
      run.add(xAxis.pixel(x[i]), yAxis.pixel(axisValue(y[i])));
    }
    run.end(g);
    g.draw(path);
  }

  /** One unbroken stretch of a series, with its pixel-column reduction. */
  private static final class Run {
    private final Path2D.Double path;
    private int points;
    private boolean inColumn;
    private long column;
    private double firstX;
    private double firstY;
    private double lastX;
    private double lastY;
    private double minX;
    private double minY;
    private double maxX;
    private double maxY;
    private int minAt;
    private int maxAt;
    private int count;
    private double startX;
    private double startY;

    Run(Path2D.Double path) {
      this.path = path;
    }

    void add(double px, double py) {
      long col = (long) Math.floor(px);
      if (inColumn && col == column) {
        count++;
        lastX = px;
        lastY = py;
        if (py < minY) {
          minX = px;
          minY = py;
          minAt = count;
        }
        if (py > maxY) {
          maxX = px;
          maxY = py;
          maxAt = count;
        }
        return;
      }
      flush();
      inColumn = true;
      column = col;
      firstX = lastX = minX = maxX = px;
      firstY = lastY = minY = maxY = py;
      minAt = maxAt = count = 0;
    }

    private void flush() {
      if (!inColumn) {
        return;
      }
      emit(firstX, firstY);
      if (count > 0) {
        if (minAt <= maxAt) {
          emit(minX, minY);
          emit(maxX, maxY);
        } else {
          emit(maxX, maxY);
          emit(minX, minY);
        }
        emit(lastX, lastY);
      }
      inColumn = false;
    }

    private void emit(double px, double py) {
      if (points == 0) {
        path.moveTo(px, py);
        startX = px;
        startY = py;
      } else {
        path.lineTo(px, py);
      }
      points++;
    }

    /** Closes the run; a run of one point is drawn as a dot, which a zero-length path would not show. */
    void end(Graphics2D g) {
      flush();
      if (points == 1) {
        g.fill(new Ellipse2D.Double(startX - 2.5, startY - 2.5, 5, 5));
      }
      points = 0;
    }
  }

  private void drawText(Graphics2D g, BufferedImage img, Rectangle plot, int[] skipped, boolean empty) {
    if (!Awt.textAvailable()) {
      return;
    }
    g.setColor(TEXT);
    if (!title.isEmpty()) {
      Awt.font(g, 14);
      Awt.drawString(g, title, (width - Awt.stringWidth(g, title)) / 2f, (MARGIN_TOP + Awt.ascent(g)) / 2f);
    }
    Awt.font(g, 12);
    if (!xLabel.isEmpty()) {
      Awt.drawString(g, xLabel, plot.x + (plot.width - Awt.stringWidth(g, xLabel)) / 2f, height - 8);
    }
    if (!yLabel.isEmpty()) {
      AffineTransform saved = g.getTransform();
      g.translate(16, plot.y + (plot.height + Awt.stringWidth(g, yLabel)) / 2.0);
      g.rotate(-Math.PI / 2);
      Awt.drawString(g, yLabel, 0, 0);
      g.setTransform(saved);
    }
    if (empty) {
      String note = logY ? "no finite positive values to draw" : "no finite values to draw";
      Awt.drawString(g, note, plot.x + (plot.width - Awt.stringWidth(g, note)) / 2f, plot.y + plot.height / 2f);
    }
    drawLegend(g, img, plot, skipped);
  }

  /**
   * The legend goes in whichever corner of the plot hides the fewest drawn pixels of the series, top right on a
   * tie: a loss curve falls from top left to bottom right, but a metric that rises (perplexity) would hide under
   * a legend in a fixed place.
   */
  private void drawLegend(Graphics2D g, BufferedImage img, Rectangle plot, int[] skipped) {
    Awt.font(g, 12);
    String[] labels = new String[names.size()];
    int textW = 0;
    for (int s = 0; s < labels.length; s++) {
      labels[s] = names.get(s);
      if (skipped[s] > 0) {
        labels[s] += " (" + skipped[s] + (logY ? " non-positive or non-finite" : " non-finite") + " skipped)";
      }
      textW = Math.max(textW, Awt.stringWidth(g, labels[s]));
    }
    int row = 16;
    int boxW = textW + 40;
    int boxH = labels.length * row + 8;
    Rectangle[] corners = {
      new Rectangle(plot.x + plot.width - boxW - 8, plot.y + 8, boxW, boxH),
      new Rectangle(plot.x + 8, plot.y + 8, boxW, boxH),
      new Rectangle(plot.x + plot.width - boxW - 8, plot.y + plot.height - boxH - 8, boxW, boxH),
      new Rectangle(plot.x + 8, plot.y + plot.height - boxH - 8, boxW, boxH),
    };
    long[] covered = new long[corners.length];
    for (int c = 0; c < corners.length; c++) {
      Rectangle r = corners[c].intersection(new Rectangle(0, 0, img.getWidth(), img.getHeight()));
      if (r.isEmpty()) {
        covered[c] = Long.MAX_VALUE;
        continue;
      }
      for (int rgb : img.getRGB(r.x, r.y, r.width, r.height, null, 0, r.width)) {
        // Series colours all have a channel below 200; white, the light grid and their blends do not.
        if (Math.min(rgb >> 16 & 0xFF, Math.min(rgb >> 8 & 0xFF, rgb & 0xFF)) < 200) {
          covered[c]++;
        }
      }
    }
    int best = 0;
    for (int c = 1; c < corners.length; c++) {
      if (covered[c] < covered[best]) {
        best = c;
      }
    }
    int bx = corners[best].x;
    int by = corners[best].y;
    Composite saved = g.getComposite();
    g.setComposite(AlphaComposite.getInstance(AlphaComposite.SRC_OVER, 0.85f));
    g.setColor(Color.WHITE);
    g.fillRect(bx, by, boxW, boxH);
    g.setComposite(saved);
    g.setColor(new Color(0xBBBBBB));
    g.setStroke(new BasicStroke(1f));
    g.drawRect(bx, by, boxW, boxH);
    for (int s = 0; s < labels.length; s++) {
      int cy = by + 4 + s * row + row / 2;
      g.setColor(new Color(colour(s)));
      g.setStroke(new BasicStroke(2f));
      g.drawLine(bx + 8, cy, bx + 28, cy);
      g.setColor(TEXT);
      Awt.drawString(g, labels[s], bx + 34, cy + Awt.ascent(g) / 2f - 1);
    }
  }
}
