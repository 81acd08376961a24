package ai.vq4j.nn;

import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * One pre-LayerNorm decoder block (GPT-2's): x -> x + Wo attn(LN1(x)) -> + W2 gelu(W1 LN2(.)), causal multi-head
 * attention over q, k, v from three linear maps of LN1(x), a GELU MLP of width mlpWidth. Activations are
 * x[B, T, C]. In training, inverted dropout on the two residual branches (attention projection and MLP output),
 * with masks from the caller's key, so the same key drops the same activations on every backend.
 *
 * <p>{@link #step} runs one new position against a key/value cache of the positions before it, so sampling
 * costs one position per step; {@link #forward} runs a whole sequence for training.
 */
public final class TransformerBlock implements AutoCloseable {
  private final int c;
  private final int heads;
  private final Device device;
  private final LayerNorm ln1;
  private final LayerNorm ln2;
  private final Linear wq;
  private final Linear wk;
  private final Linear wv;
  private final Linear wo;
  private final Linear w1;
  private final Linear w2;
  private Tensor att;
  private Tensor lse;
  private Tensor x2;
  private Tensor hidden;
  private Tensor x3;
  private Tensor dq;
  private Tensor dk;
  private Tensor dv;
  private Tensor dh1;
  private Tensor dHidden;
  private Tensor dx2;
  private Tensor dx;
  private Tensor kCache;
  private Tensor vCache;
  private Tensor oDrop;
  private Tensor mDrop;
  private Tensor dDrop;
  private float dropout;
  private long dropoutKey;

  /** residualStd: the init std of the two projections into the residual stream (GPT-2: 0.02 / sqrt(2 depth)). */
  public TransformerBlock(String name, Device device, Rng rng, int c, int heads, int mlpWidth, double std,
      double residualStd) {
    if (heads < 1 || c % heads != 0) {
      throw new IllegalArgumentException("block " + name + ": width " + c + " must split into " + heads + " heads");
    }
    this.c = c;
    this.heads = heads;
    this.device = device;
    this.ln1 = new LayerNorm(name + ".ln1", device, c);
    this.wq = new Linear(name + ".attn.q", device, rng, c, c, std);
    this.wk = new Linear(name + ".attn.k", device, rng, c, c, std);
    this.wv = new Linear(name + ".attn.v", device, rng, c, c, std);
    this.wo = new Linear(name + ".attn.proj", device, rng, c, c, residualStd);
    this.ln2 = new LayerNorm(name + ".ln2", device, c);
    this.w1 = new Linear(name + ".mlp.fc", device, rng, c, mlpWidth, std);
    this.w2 = new Linear(name + ".mlp.proj", device, rng, mlpWidth, c, residualStd);
  }

  /**
   * x[B, T, C] -> the block's output (owned by the block); x must stay unchanged until backward. dropout: the
   * probability of dropping a residual-branch activation (0 outside training); key: the masks' seed (the
   * attention branch uses key, the MLP's key + 1).
   */
  public Tensor forward(Tensor x, float dropout, long key) {
    this.dropout = dropout;
    this.dropoutKey = key;
    Tensor h1 = ln1.forward(x);
    Tensor q = wq.forward(h1);
    Tensor k = wk.forward(h1);
    Tensor v = wv.forward(h1);
    att = Buffers.ensure(att, device, x.shape());
    lse = Buffers.ensure(lse, device, x.dim(0), heads, x.dim(1));
    Ops.causalAttentionForward(q, k, v, x.dim(1), heads, att, lse);
    return mlp(x, wo.forward(att));
  }

  /** x + o, then the MLP half: shared by forward and step. */
  private Tensor mlp(Tensor x, Tensor o) {
    if (dropout > 0) {
      oDrop = Buffers.ensure(oDrop, device, o.shape());
      Ops.dropout(o, oDrop, dropout, dropoutKey);
      o = oDrop;
    }
    x2 = Buffers.ensure(x2, device, x.shape());
    Ops.add(x, o, x2);
    Tensor u = w1.forward(ln2.forward(x2));
    hidden = Buffers.ensure(hidden, device, u.shape());
    Ops.geluForward(u, hidden);
    Tensor m = w2.forward(hidden);
    if (dropout > 0) {
      mDrop = Buffers.ensure(mDrop, device, m.shape());
      Ops.dropout(m, mDrop, dropout, dropoutKey + 1);
      m = mDrop;
    }
    x3 = Buffers.ensure(x3, device, x.shape());
    Ops.add(x2, m, x3);
    return x3;
  }

  /** The gradient through a residual branch's dropout (the same mask on dy), or dy itself without dropout. */
  private Tensor dropped(Tensor dy, long key) {
    if (dropout == 0) {
      return dy;
    }
    dDrop = Buffers.ensure(dDrop, device, dy.shape());
    Ops.dropout(dy, dDrop, dropout, key);
    return dDrop;
  }

  /** d loss / d output [B, T, C] -> d loss / d x (owned by the block); overwrites every parameter gradient. */
  public Tensor backward(Tensor dy) {
    Tensor dHid = w2.backward(dropped(dy, dropoutKey + 1));
    dHidden = Buffers.ensure(dHidden, device, dHid.shape());
    Ops.geluBackward(w1.output(), dHid, dHidden);
    Tensor dLn2 = ln2.backward(w1.backward(dHidden));
    dx2 = Buffers.ensure(dx2, device, dy.shape());
    Ops.add(dy, dLn2, dx2);
    Tensor dAtt = wo.backward(dropped(dx2, dropoutKey));
    dq = Buffers.ensure(dq, device, dy.shape());
    dk = Buffers.ensure(dk, device, dy.shape());
    dv = Buffers.ensure(dv, device, dy.shape());
    Ops.causalAttentionBackward(wq.output(), wk.output(), wv.output(), att, lse, dAtt, dq, dk, dv, heads);
    dh1 = Buffers.ensure(dh1, device, dy.shape());
    Ops.add(wq.backward(dq), wk.backward(dk), dh1);
    Ops.add(dh1, wv.backward(dv), dh1);
    Tensor dLn1 = ln1.backward(dh1);
    dx = Buffers.ensure(dx, device, dy.shape());
    Ops.add(dx2, dLn1, dx);
    return dx;
  }

  /**
   * One new position t of every sequence: x[B, 1, C] -> the block's output at t [B, 1, C], with the keys and
   * values of positions 0..t-1 taken from the cache (filled by earlier steps) and those of t added to it.
   * maxLen sizes the cache; t = 0 starts a new batch of sequences.
   */
  public Tensor step(Tensor x, int t, int maxLen) {
    dropout = 0;
    int b = x.dim(0);
    if (t == 0) {
      kCache = Buffers.ensure(kCache, device, b, maxLen, c);
      vCache = Buffers.ensure(vCache, device, b, maxLen, c);
    }
    if (kCache == null || kCache.dim(0) != b || t >= kCache.dim(1)) {
      throw new IllegalStateException("step " + t + " of " + b + " sequences does not follow the cached steps");
    }
    Tensor h1 = ln1.forward(x);
    Tensor q = wq.forward(h1);
    Tensor k = wk.forward(h1);
    Tensor v = wv.forward(h1);
    for (int i = 0; i < b; i++) {
      long at = ((long) i * kCache.dim(1) + t) * c;
      kCache.copyElements(k, (long) i * c, at, c);
      vCache.copyElements(v, (long) i * c, at, c);
    }
    att = Buffers.ensure(att, device, x.shape());
    lse = Buffers.ensure(lse, device, b, heads, 1);
    Ops.causalAttentionForward(q, kCache, vCache, t + 1, heads, att, lse);
    return mlp(x, wo.forward(att));
  }

  /** Every parameter, in a fixed order. */
  public List<Parameter> parameters() {
    List<Parameter> out = new ArrayList<>();
    for (Layer l : new Layer[] {ln1, wq, wk, wv, wo, ln2, w1, w2}) {
      out.addAll(l.parameters());
    }
    return out;
  }

  @Override
  public void close() {
    for (Layer l : new Layer[] {ln1, wq, wk, wv, wo, ln2, w1, w2}) {
      l.close();
    }
    Buffers.close(att, lse, x2, hidden, x3, dq, dk, dv, dh1, dHidden, dx2, dx, kCache, vCache, oDrop,
        mDrop, dDrop);
  }
}
