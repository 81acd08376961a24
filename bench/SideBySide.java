import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import javax.imageio.ImageIO;

/**
 * Puts PNG pictures side by side, each under its title, into one PNG (bench/prior_compare.sh's sample grids):
 * {@code java bench/SideBySide.java OUT.png TITLE1 IN1.png TITLE2 IN2.png ...} (Java's single-file launcher, so
 * the benchmark needs no image tool besides the JDK).
 */
public final class SideBySide {
  private static final int GAP = 16;
  private static final int TITLE = 28;

  public static void main(String[] args) throws IOException {
    if (args.length < 3 || args.length % 2 != 1) {
      throw new IllegalArgumentException("usage: SideBySide OUT.png TITLE IN.png [TITLE IN.png ...]");
    }
    int n = (args.length - 1) / 2;
    BufferedImage[] in = new BufferedImage[n];
    int width = GAP;
    int height = 0;
    for (int i = 0; i < n; i++) {
      File f = new File(args[2 + 2 * i]);
      in[i] = ImageIO.read(f);
      if (in[i] == null) {
        throw new IOException(f + ": not a picture ImageIO reads");
      }
      width += in[i].getWidth() + GAP;
      height = Math.max(height, in[i].getHeight());
    }
    BufferedImage out = new BufferedImage(width, height + TITLE + GAP, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, out.getWidth(), out.getHeight());
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
    g.setColor(Color.BLACK);
    int x = GAP;
    for (int i = 0; i < n; i++) {
      g.drawString(args[1 + 2 * i], x, TITLE - 8);
      g.drawImage(in[i], x, TITLE, null);
      x += in[i].getWidth() + GAP;
    }
    g.dispose();
    ImageIO.write(out, "png", new File(args[0]));
  }
}
