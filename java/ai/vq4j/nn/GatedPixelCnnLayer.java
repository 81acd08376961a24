package ai.vq4j.nn;

import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Mask;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * One layer of a Gated PixelCNN (van den Oord et al. 2016, "Conditional Image Generation with PixelCNN
 * Decoders", arXiv 1606.05328, figure 2), over p channels:
 *
 * <pre>
 *   pv = Vconv(xV)                     k x k masked conv, p -> 2p: rows above (V_A) or up to its own row (V_B)
 *   v  = tanh(pv_f + c_f) * sigmoid(pv_g + c_g)           c = the class bias (0 when unconditioned)
 *   ph = Hconv(xH)                     k x k masked conv, p -> 2p: its own row, left of (H_A) or up to (H_B) the centre
 *   g  = tanh(ph_f + L(pv)_f + c_f) * sigmoid(ph_g + L(pv)_g + c_g)     L: 1x1 conv 2p -> 2p (vertical to horizontal)
 *   h  = R(g) + xH                     R: 1x1 conv p -> p; no residual in the first layer
 * </pre>
 *
 * The first layer (mask "A") uses V_A, H_A and no residual, so no output sees the code at its own position;
 * later layers (mask "B") use V_B and H_B. The vertical output at row i depends only on rows above i: the
 * first layer's V_A excludes row i, and each V_B layer sees row i of a vertical output that itself sees only
 * rows above (induction). Feeding pv of row i to the horizontal stack of row i is therefore causal, with
 * no down-shift, and the vertical stack's n x n receptive field covers the right-hand side of the rows above
 * (no blind spot). The class bias c = weight[label] (a learned 2p vector per class) is added inside both
 * gates, at every position. The pre-activations are summed in a fixed order, (ph + L(pv)) + c, which the
 * sampler's direct evaluation ({@link #verticalDirect}, {@link #horizontalDirect}) repeats exactly.
 */
public final class GatedPixelCnnLayer implements AutoCloseable {
  private final int p;
  private final int k;
  private final boolean first;
  private final Device device;
  private final MaskedConv2d vConv;
  private final MaskedConv2d hConv;
  private final Conv2d link;
  private final Conv2d res;
  private final Embedding classBias;

  private Tensor xH;
  private Tensor pv;
  private Tensor preV;
  private Tensor cond;
  private Tensor v;
  private Tensor preH;
  private Tensor g;
  private Tensor h;
  private Tensor ownPreV;
  private Tensor ownH;
  private Tensor dPreV;
  private Tensor dPreH;
  private Tensor dPv;
  private Tensor dCond;
  private Tensor dxV;
  private Tensor dxH;
  private Tensor ownDxH;

  /**
   * @param channels p, the width of both stacks
   * @param kernel the masked convs' k (odd)
   * @param first whether this is the first layer (masks V_A and H_A, no residual)
   * @param numClasses 0 for an unconditioned layer, else the number of class labels
   */
  public GatedPixelCnnLayer(String name, Device device, Rng rng, int channels, int kernel, boolean first,
      int numClasses) {
    if (channels < 1 || numClasses < 0) {
      throw new IllegalArgumentException("gated layer " + name + ": need channels >= 1 and numClasses >= 0, got "
          + channels + " and " + numClasses);
    }
    this.p = channels;
    this.k = kernel;
    this.first = first;
    this.device = device;
    this.vConv = new MaskedConv2d(name + ".v", device, rng, p, 2 * p, kernel, first ? Mask.V_A : Mask.V_B);
    this.hConv = new MaskedConv2d(name + ".h", device, rng, p, 2 * p, kernel, first ? Mask.H_A : Mask.H_B);
    this.link = new Conv2d(name + ".v2h", device, rng, 2 * p, 2 * p, 1, 1, 0);
    this.res = new Conv2d(name + ".res", device, rng, p, p, 1, 1, 0);
    this.classBias = numClasses > 0 ? new Embedding(name + ".cond", device, rng, numClasses, 2 * p) : null;
  }

  /**
   * One forward pass over xV, xH [N, H, W, p]; classIds int32[N, H, W] holds each position's class label
   * (null when unconditioned). The inputs must stay unchanged until {@link #backward}. Outputs: {@link #v()}
   * and {@link #h()}.
   */
  public void forward(Tensor xV, Tensor xH, Tensor classIds) {
    check("forward", xV, xH, classIds);
    this.xH = xH;
    int[] s = xV.shape();
    pv = vConv.forward(xV);
    if (classBias != null) {
      cond = classBias.forward(classIds);
      ownPreV = Buffers.ensure(ownPreV, device, s[0], s[1], s[2], 2 * p);
      Ops.add(pv, cond, ownPreV);
      preV = ownPreV;
    } else {
      cond = null;
      preV = pv;
    }
    v = Buffers.ensure(v, device, s[0], s[1], s[2], p);
    Ops.gatedActivationForward(preV, v);
    Tensor ph = hConv.forward(xH);
    Tensor lk = link.forward(pv);
    preH = Buffers.ensure(preH, device, s[0], s[1], s[2], 2 * p);
    Ops.add(ph, lk, preH);
    if (cond != null) {
      Ops.add(preH, cond, preH);
    }
    g = Buffers.ensure(g, device, s[0], s[1], s[2], p);
    Ops.gatedActivationForward(preH, g);
    Tensor r = res.forward(g);
    if (first) {
      h = r;
    } else {
      ownH = Buffers.ensure(ownH, device, s);
      Ops.add(r, xH, ownH);
      h = ownH;
    }
  }

  /** The vertical stack's output [N, H, W, p] (owned by the layer). */
  public Tensor v() {
    return v;
  }

  /** The horizontal stack's output [N, H, W, p] (owned by the layer). */
  public Tensor h() {
    return h;
  }

  /**
   * Backpropagates dv (the gradient of the vertical output; null when it feeds nothing, as in the last layer)
   * and dh; overwrites every parameter gradient and computes {@link #dxV()} and {@link #dxH()}.
   */
  public void backward(Tensor dv, Tensor dh) {
    int[] s = dh.shape();
    Tensor dg = res.backward(dh);
    dPreH = Buffers.ensure(dPreH, device, s[0], s[1], s[2], 2 * p);
    Ops.gatedActivationBackward(preH, dg, dPreH);
    Tensor dPvLink = link.backward(dPreH);
    Tensor dxHConv = hConv.backward(dPreH);
    Tensor dPvTotal;
    if (dv != null) {
      dPreV = Buffers.ensure(dPreV, device, s[0], s[1], s[2], 2 * p);
      Ops.gatedActivationBackward(preV, dv, dPreV);
      dPv = Buffers.ensure(dPv, device, s[0], s[1], s[2], 2 * p);
      Ops.add(dPreV, dPvLink, dPv);
      dPvTotal = dPv;
    } else {
      dPvTotal = dPvLink;
    }
    if (classBias != null) {
      Tensor dc = dPreH;
      if (dv != null) {
        dCond = Buffers.ensure(dCond, device, s[0], s[1], s[2], 2 * p);
        Ops.add(dPreV, dPreH, dCond);
        dc = dCond;
      }
      classBias.backward(dc);
    }
    dxV = vConv.backward(dPvTotal);
    if (first) {
      dxH = dxHConv;
    } else {
      ownDxH = Buffers.ensure(ownDxH, device, s);
      Ops.add(dxHConv, dh, ownDxH);
      dxH = ownDxH;
    }
  }

  /** The gradient with respect to the vertical input xV (owned by the layer). */
  public Tensor dxV() {
    return dxV;
  }

  /** The gradient with respect to the horizontal input xH (owned by the layer). */
  public Tensor dxH() {
    return dxH;
  }

  // ------------------------------------------------------------------ direct evaluation (sampling)

  /**
   * The vertical stack through the direct ops: pv = Vconv(xV), preV = pv + cond (cond [.., 2p] or null; then
   * preV may be pv itself), v = gate(preV). Every output position gets the bits of {@link #forward}'s
   * arithmetic order on any crop of the input that holds the rows its taps read.
   */
  public void verticalDirect(Tensor xV, Tensor cond, Tensor pv, Tensor preV, Tensor v) {
    vConv.forwardDirect(xV, pv);
    if (cond != null) {
      Ops.add(pv, cond, preV);
    } else if (preV != pv) {
      preV.copyFrom(pv);
    }
    Ops.gatedActivationForward(preV, v);
  }

  /** L(pv): the vertical-to-horizontal 1x1 conv through the direct op, pv [.., 2p] -> lk [.., 2p]. */
  public void linkDirect(Tensor pv, Tensor lk) {
    List<Parameter> w = link.parameters();
    Ops.maskedConv2dDirectForward(pv, w.get(0).value(), w.get(1).value(), lk, Mask.B);
  }

  /** ph = Hconv(xH) through the direct op. */
  public void horizontalConvDirect(Tensor xH, Tensor ph) {
    hConv.forwardDirect(xH, ph);
  }

  /**
   * The rest of the horizontal stack at the positions of ph: preH = (ph + lk) + cond, g = gate(preH), h =
   * R(g) + xH (xH: the horizontal input at the same positions; ignored by the first layer). ph, lk, cond and
   * preH are [.., 2p]; g, xH and h [.., p]; cond may be null.
   */
  public void horizontalDirect(Tensor ph, Tensor lk, Tensor cond, Tensor xH, Tensor preH, Tensor g, Tensor h) {
    Ops.add(ph, lk, preH);
    if (cond != null) {
      Ops.add(preH, cond, preH);
    }
    Ops.gatedActivationForward(preH, g);
    List<Parameter> w = res.parameters();
    Ops.maskedConv2dDirectForward(g, w.get(0).value(), w.get(1).value(), h, Mask.B);
    if (!first) {
      Ops.add(h, xH, h);
    }
  }

  /** cond [.., 2p] = the class bias of each position's label in classIds [..] (direct: a copy). */
  public void classBiasDirect(Tensor classIds, Tensor cond) {
    Ops.embeddingForward(classBias.weight().value(), classIds, cond);
  }

  // ------------------------------------------------------------------ shape and parameters

  public boolean isFirst() {
    return first;
  }

  public boolean conditioned() {
    return classBias != null;
  }

  public int channels() {
    return p;
  }

  public int kernelSize() {
    return k;
  }

  /** Rows above (and columns either side) that this layer's vertical conv reaches: k / 2. */
  public int reach() {
    return k / 2;
  }

  /** Every parameter: vertical conv, horizontal conv, vertical-to-horizontal 1x1, residual 1x1, class bias. */
  public List<Parameter> parameters() {
    List<Parameter> out = new ArrayList<>(vConv.parameters());
    out.addAll(hConv.parameters());
    out.addAll(link.parameters());
    out.addAll(res.parameters());
    if (classBias != null) {
      out.addAll(classBias.parameters());
    }
    return Collections.unmodifiableList(out);
  }

  private void check(String op, Tensor xV, Tensor xH, Tensor classIds) {
    if (xV.rank() != 4 || xV.dim(3) != p || !Arrays.equals(xV.shape(), xH.shape()) || xV.dtype() != DType.FLOAT32
        || xH.dtype() != DType.FLOAT32) {
      throw new IllegalArgumentException("gated layer " + op + ": xV and xH must both be float32[N, H, W, " + p
          + "], got " + xV.describe() + " and " + xH.describe());
    }
    if ((classBias != null) != (classIds != null)) {
      throw new IllegalArgumentException("gated layer " + op + ": "
          + (classBias != null ? "a conditioned layer needs class ids" : "an unconditioned layer takes no class ids"));
    }
    if (classIds != null && (classIds.dtype() != DType.INT32
        || !Arrays.equals(classIds.shape(), Arrays.copyOf(xV.shape(), 3)))) {
      throw new IllegalArgumentException("gated layer " + op + ": class ids must be int32[N, H, W] over "
          + xV.describe() + ", got " + classIds.describe());
    }
  }

  @Override
  public void close() {
    vConv.close();
    hConv.close();
    link.close();
    res.close();
    if (classBias != null) {
      classBias.close();
    }
    Buffers.close(ownPreV, v, preH, g, ownH, dPreV, dPreH, dPv, dCond, ownDxH);
  }

  @Override
  public String toString() {
    return "GatedPixelCnnLayer(p " + p + ", k " + k + (first ? ", first (mask A)" : ", mask B")
        + (classBias != null ? ", " + classBias.count() + " classes" : "") + ")";
  }
}
