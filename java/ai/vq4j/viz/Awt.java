package ai.vq4j.viz;

import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/**
 * What this package needs from AWT beyond pixels: headless mode, and text that never takes the caller down.
 *
 * <p>Text is the fragile part. Java2D finds fonts through fontconfig and a few fixed folders; on a machine with
 * none (a slim container image, a Debian install without {@code fonts-dejavu-core}) the first string drawn throws
 * {@code java.lang.Error: Probable fatal error: No physical fonts found.}, and other broken setups throw
 * {@code UnsatisfiedLinkError} or {@code InternalError} from the native font manager. A chart that cannot label
 * its axes is still worth writing, so the first use probes text once; if that fails, or any later string does,
 * text is switched off for the rest of the JVM and every drawing proceeds without it. Layout never depends on
 * measured text widths being real: sizes of grids and charts are the same with or without fonts.
 */
final class Awt {
  /** Logical font: maps to whatever sans-serif face fontconfig offers (DejaVu Sans on Debian). */
  static final String FONT_FAMILY = Font.SANS_SERIF;

  /** Rough advance per character, used to place text when fonts cannot be measured. */
  private static final double FALLBACK_CHAR_WIDTH = 0.6;

  private static volatile Boolean textAvailable;
  private static volatile Throwable textFailure;

  private Awt() {}

  /**
   * Switches AWT to headless mode when no one has chosen and there is no display to use. The JDK already defaults
   * to headless on Linux without {@code DISPLAY}; saying so explicitly keeps it that way on other platforms and
   * never overrides an application that set the property itself (a GUI that wants its windows).
   */
  static void init() {
    if (System.getProperty("java.awt.headless") == null
        && System.getenv("DISPLAY") == null
        && System.getenv("WAYLAND_DISPLAY") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  /** Whether strings can be drawn; probed once, on first call. */
  static boolean textAvailable() {
    Boolean ok = textAvailable;
    if (ok == null) {
      synchronized (Awt.class) {
        ok = textAvailable;
        if (ok == null) {
          ok = probe();
          textAvailable = ok;
        }
      }
    }
    return ok;
  }

  /** Why text is off, or null while it works. */
  static Throwable textFailure() {
    return textFailure;
  }

  /** Tests only: forces text off (as on a machine without fonts) or back to a fresh probe. */
  static void forceTextOff(boolean off) {
    synchronized (Awt.class) {
      textFailure = off ? new IllegalStateException("text switched off by a test") : null;
      textAvailable = off ? Boolean.FALSE : null;
    }
  }

  private static boolean probe() {
    init();
    try {
      BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = img.createGraphics();
      try {
        g.setFont(new Font(FONT_FAMILY, Font.PLAIN, 12));
        g.drawString("Ag0.5e-3", 0, 12);
        g.getFontMetrics().stringWidth("Ag0.5e-3");
      } finally {
        g.dispose();
      }
      return true;
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable t) {
      // Deliberately broad: the font manager reports a missing font set as java.lang.Error, a missing native
      // library as a LinkageError, and a broken fontconfig as NullPointerException or InternalError.
      textFailure = t;
      return false;
    }
  }

  private static void disableText(Throwable t) {
    textFailure = t;
    textAvailable = Boolean.FALSE;
  }

  /** Sets a plain sans-serif font of {@code size} pixels and antialiased text. */
  static void font(Graphics2D g, int size) {
    try {
      // A Font object is only a name and a size until glyphs are needed, so setting it is safe without fonts,
      // and the fallback width estimate then uses the right size.
      g.setFont(new Font(FONT_FAMILY, Font.PLAIN, Math.max(1, size)));
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable t) {
      disableText(t);
    }
  }

  /** Width of {@code s} in the current font; an estimate from the font size when text is off. */
  static int stringWidth(Graphics2D g, String s) {
    if (textAvailable()) {
      try {
        return g.getFontMetrics().stringWidth(s);
      } catch (VirtualMachineError e) {
        throw e;
      } catch (Throwable t) {
        disableText(t);
      }
    }
    return (int) Math.ceil(s.length() * g.getFont().getSize2D() * FALLBACK_CHAR_WIDTH);
  }

  /** Ascent of the current font (distance from baseline to the top of capitals); estimated when text is off. */
  static int ascent(Graphics2D g) {
    if (textAvailable()) {
      try {
        FontMetrics fm = g.getFontMetrics();
        return fm.getAscent();
      } catch (VirtualMachineError e) {
        throw e;
      } catch (Throwable t) {
        disableText(t);
      }
    }
    return Math.round(g.getFont().getSize2D() * 0.8f);
  }

  /** Draws {@code s} with its baseline's left end at (x, y); does nothing when text is off. */
  static void drawString(Graphics2D g, String s, float x, float y) {
    if (s == null || s.isEmpty() || !textAvailable()) {
      return;
    }
    try {
      g.drawString(s, x, y);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable t) {
      disableText(t);
    }
  }
}
