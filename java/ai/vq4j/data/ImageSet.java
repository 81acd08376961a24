package ai.vq4j.data;

import java.util.List;

/**
 * N images of height × width × channels that a {@link Batcher} can cut into batches: a {@link Dataset} held in
 * memory, or {@link StreamedImages} decoded from their files as batches need them. Labels are always in memory
 * (an int per image); only the pixels may live on disk.
 */
public interface ImageSet {
  String name();

  /** Number of images. */
  int size();

  int height();

  int width();

  int channels();

  /** Values per image: height × width × channels. */
  default int imageSize() {
    return height() * width() * channels();
  }

  boolean hasLabels();

  /** The label of image i; an IllegalStateException when the set has none. */
  int label(int i);

  /** Class names indexed by label; empty when unknown. */
  List<String> classNames();

  /** The set's own pixels within each image (see {@link Dataset#nativeArea}). */
  Dataset.Area nativeArea();

  /** Copies image i's values (HWC) into dst at offset, as floats. */
  void copyImage(int image, float[] dst, int offset);

  /**
   * Population variance of the pixel values (the VQ-VAE's {@code data_variance}); a streamed set estimates it
   * on a sample of its images.
   */
  double pixelVariance();
}
