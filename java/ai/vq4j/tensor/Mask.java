package ai.vq4j.tensor;

import ai.vq4j.bridge.Vq4jNative;

/**
 * Masks of a masked convolution over a k x k kernel centred on the output position. {@link #A} and
 * {@link #B} are PixelCNN's (rows above plus the left part of the centre row; B keeps the centre). The
 * others are Gated PixelCNN's stacks: vertical (whole rows above; {@link #V_B} also its own row, safe once
 * the first vertical layer used {@link #V_A}) and horizontal (the centre row, left of the centre or up to
 * it).
 */
public enum Mask {
  A(Vq4jNative.VQ4J_MASK_A),
  B(Vq4jNative.VQ4J_MASK_B),
  V_A(Vq4jNative.VQ4J_MASK_V_A),
  V_B(Vq4jNative.VQ4J_MASK_V_B),
  H_A(Vq4jNative.VQ4J_MASK_H_A),
  H_B(Vq4jNative.VQ4J_MASK_H_B);

  final int code;

  Mask(int code) {
    this.code = code;
  }

  /** Whether tap (i, j) (row, column) of a k x k kernel is used. */
  public boolean keeps(int k, int i, int j) {
    int c = k / 2;
    switch (this) {
      case A: return i < c || (i == c && j < c);
      case B: return i < c || (i == c && j <= c);
      case V_A: return i < c;
      case V_B: return i <= c;
      case H_A: return i == c && j < c;
      default: return i == c && j <= c;
    }
  }
}
