/**
 * Pictures of a training run, in pure Java2D and ImageIO so they can be written on a headless server with no
 * plotting library: {@link ai.vq4j.viz.ImageGrid} tiles batches of NHWC float images in [-0.5, 0.5] (inputs,
 * originals over their reconstructions, samples) and converts single images to and from
 * {@link java.awt.image.BufferedImage}; {@link ai.vq4j.viz.LineChart} draws loss and metric curves;
 * {@link ai.vq4j.viz.Png} writes either atomically (temporary file, then rename), so a crash never leaves a
 * half-written PNG. Drawing switches AWT to headless mode when there is no display, and degrades to pictures without
 * text rather than failing on a machine without fonts.
 */
package ai.vq4j.viz;
