package ai.vq4j.cli;

import picocli.CommandLine;

/**
 * The converters every float and double option goes through: Java parses "NaN", "Infinity" and "1e39" (as
 * a float) without complaint, and a learning rate or threshold of Infinity turns a run into NaNs silently.
 */
final class FiniteNumbers {
  private FiniteNumbers() {}

  /** Makes every float/double option of the command line (and its subcommands) refuse non-finite values. */
  static void register(CommandLine cli) {
    cli.registerConverter(Double.class, FiniteNumbers::toDouble);
    cli.registerConverter(Double.TYPE, FiniteNumbers::toDouble);
    cli.registerConverter(Float.class, FiniteNumbers::toFloat);
    cli.registerConverter(Float.TYPE, FiniteNumbers::toFloat);
  }

  static double toDouble(String text) {
    double v = parse(text);
    if (!Double.isFinite(v)) {
      throw new CommandLine.TypeConversionException("'" + text + "' is not a finite number");
    }
    return v;
  }

  static float toFloat(String text) {
    float v = (float) parse(text);
    if (!Float.isFinite(v)) {
      throw new CommandLine.TypeConversionException("'" + text + "' is not a finite float (|x| < 3.4e38)");
    }
    return v;
  }

  private static double parse(String text) {
    try {
      return Double.parseDouble(text.trim());
    } catch (NumberFormatException e) {
      throw new CommandLine.TypeConversionException("'" + text + "' is not a number");
    }
  }
}
