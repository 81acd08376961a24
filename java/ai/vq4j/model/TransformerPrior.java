package ai.vq4j.model;

import ai.vq4j.nn.Buffers;
import ai.vq4j.nn.Embedding;
import ai.vq4j.nn.LayerNorm;
import ai.vq4j.nn.Linear;
import ai.vq4j.nn.Parameter;
import ai.vq4j.nn.TransformerBlock;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A decoder-only Transformer prior over a VQ-VAE's code grid, flattened in raster order (the step after the
 * PixelCNN taken by VQGAN, DALL-E and LlamaGen). Input tokens [N, T] are the codes shifted right by one, the
 * first being the start token (or the class token when conditioned); the logits at position t [N, T, K] are
 * the distribution of code t given the codes before it. Token plus learned position embedding, {@link
 * TransformerBlock}s, final layer norm, linear head. Initialised from {@code config.seed} (GPT-2's law:
 * N(0, 0.02), residual projections 0.02 / sqrt(2 depth)). Trained with AdamW, whose weight decay applies to the
 * linear maps' weights only (not to biases, norms or embeddings: GPT-2's and minGPT's choice).
 */
public final class TransformerPrior implements Prior {
  private static final double STD = 0.02;
  private final TransformerConfig config;
  private final Device device;
  private final Embedding tokens;
  private final Embedding positions;
  private final List<TransformerBlock> blocks = new ArrayList<>();
  private final LayerNorm lnF;
  private final Linear head;
  private Tensor tokenIds;
  private Tensor firstIds;
  private Tensor positionIds;
  private Tensor x0;
  private Tensor logits;
  private final CodeLoss codeLoss;
  private boolean fromTokens;
  /** The dropout probability and mask key of the current forward: 0 outside training. */
  private float dropout;
  private long dropoutKey;
  /** The dropout probability of the last forward, for its backward. */
  private float lastDropout;

  public TransformerPrior(TransformerConfig config, Device device) {
    this.config = config.copy().validate();
    this.device = device;
    this.codeLoss = new CodeLoss(device);
    Rng rng = new Rng(config.seed);
    int c = config.width;
    this.tokens = new Embedding("tokens", device, rng, config.vocabulary(), c, STD);
    this.positions = new Embedding("positions", device, rng, config.length(), c, STD);
    double residualStd = STD / Math.sqrt(2.0 * config.depth);
    for (int i = 0; i < config.depth; i++) {
      blocks.add(new TransformerBlock("blocks." + i, device, rng, c, config.heads, config.mlpRatio * c, STD,
          residualStd));
    }
    this.lnF = new LayerNorm("ln_f", device, c);
    this.head = new Linear("head", device, rng, c, config.numCodes, STD);
  }

  @Override
  public TransformerConfig config() {
    return config.copy();
  }

  @Override
  public Device device() {
    return device;
  }

  @Override
  public int numCodes() {
    return config.numCodes;
  }

  @Override
  public int gridSize() {
    return config.gridSize;
  }

  @Override
  public boolean conditioned() {
    return config.numClasses > 0;
  }

  @Override
  public Tensor trainingForward(Tensor codes, int[] labels, long step) {
    long key = new Rng(config.seed * 0x9E3779B97F4A7C15L + step).nextLong();
    return forward(codes, labels, (float) config.dropout, key);
  }

  /**
   * logits[N, T, K] (owned by the prior) for codes int32[N, g, g] and labels (host memory, null when
   * unconditioned); codes must stay unchanged until {@link #backward}.
   */
  public Tensor forward(Tensor codes, int[] labels) {
    return forward(codes, labels, 0, 0);
  }

  private Tensor forward(Tensor codes, int[] labels, float dropout, long key) {
    int g = config.gridSize;
    if (codes.rank() != 3 || codes.dim(1) != g || codes.dim(2) != g || codes.dtype() != DType.INT32
        || codes.device() != device) {
      throw new IllegalArgumentException("transformer prior: codes must be int32[N, " + g + ", " + g + "] on "
          + device + ", got " + codes.describe());
    }
    int n = codes.dim(0);
    int t = config.length();
    int[] first = firstTokens("forward", labels, n);
    firstIds = Buffers.ensure(firstIds, device, DType.INT32, n);
    firstIds.copyFrom(first);
    tokenIds = Buffers.ensure(tokenIds, device, DType.INT32, n, t);
    // Shift right on the device: token 0 is the first token, token i the code i - 1.
    for (int i = 0; i < n; i++) {
      tokenIds.copyElements(firstIds, i, (long) i * t, 1);
      if (t > 1) {
        tokenIds.copyElements(codes, (long) i * t, (long) i * t + 1, t - 1);
      }
    }
    this.dropout = dropout;
    this.dropoutKey = key;
    try {
      return forwardTokens(tokenIds);
    } finally {
      this.dropout = 0;
    }
  }

  /** The first token of each sequence: the start token, or the class token of each label. */
  int[] firstTokens(String op, int[] labels, int n) {
    int[] out = new int[n];
    if (!conditioned()) {
      if (labels != null) {
        throw new IllegalArgumentException(op + ": this prior is unconditioned (numClasses = 0) but labels were given");
      }
      java.util.Arrays.fill(out, config.numCodes);
      return out;
    }
    if (labels == null || labels.length != n) {
      throw new IllegalArgumentException(op + ": this prior is conditioned on " + config.numClasses
          + " classes: one label per sequence (" + n + ") is required");
    }
    for (int i = 0; i < n; i++) {
      if (labels[i] < 0 || labels[i] >= config.numClasses) {
        throw new IllegalArgumentException(op + ": label " + labels[i] + " of example " + i + " is outside [0, "
            + config.numClasses + ")");
      }
      out[i] = config.numCodes + labels[i];
    }
    return out;
  }

  /** logits[N, T, K] for token ids int32[N, T] (first tokens and shifted codes). */
  Tensor forwardTokens(Tensor ids) {
    int n = ids.dim(0);
    int t = ids.dim(1);
    Tensor e = tokens.forward(ids);
    Tensor p = positions.forward(positionIds(n, t));
    x0 = Buffers.ensure(x0, device, n, t, config.width);
    Ops.add(e, p, x0);
    if (dropout > 0) {
      Ops.dropout(x0, x0, dropout, dropoutKey);
    }
    fromTokens = true;
    return run(x0);
  }

  /** The network from an embedded input x[N, T, width] (for tests of causality); backward returns d / d x. */
  public Tensor forwardEmbedded(Tensor x) {
    if (x.rank() != 3 || x.dim(1) != config.length() || x.dim(2) != config.width) {
      throw new IllegalArgumentException("forwardEmbedded: x must be float32[N, " + config.length() + ", "
          + config.width + "], got " + x.describe());
    }
    fromTokens = false;
    return run(x);
  }

  private Tensor positionIds(int n, int t) {
    if (positionIds == null || positionIds.dim(0) != n || positionIds.dim(1) != t) {
      int[] pos = new int[n * t];
      for (int i = 0; i < pos.length; i++) {
        pos[i] = i % t;
      }
      positionIds = Buffers.ensure(positionIds, device, DType.INT32, n, t);
      positionIds.copyFrom(pos);
    }
    return positionIds;
  }

  /** The blocks and head; block i's dropout masks use keys dropoutKey + 2 (i + 1) and the one after. */
  private Tensor run(Tensor x) {
    lastDropout = dropout;
    Tensor h = x;
    for (int i = 0; i < blocks.size(); i++) {
      h = blocks.get(i).forward(h, dropout, dropoutKey + 2L * (i + 1));
    }
    logits = head.forward(lnF.forward(h));
    return logits;
  }

  /**
   * Backpropagates dLogits[N, T, K] of the last forward, overwriting every parameter gradient; returns the
   * gradient with respect to the embedded input (owned by the prior).
   */
  public Tensor backward(Tensor dLogits) {
    Tensor d = lnF.backward(head.backward(dLogits));
    for (int i = blocks.size() - 1; i >= 0; i--) {
      d = blocks.get(i).backward(d);
    }
    if (fromTokens) {
      if (lastDropout > 0) {
        Ops.dropout(d, d, lastDropout, dropoutKey);
      }
      tokens.backward(d);
      positions.backward(d);
    } else {
      tokens.weight().grad().fillZero();
      positions.weight().grad().fillZero();
    }
    return d;
  }

  /** Mean softmax cross-entropy (nats per code) of the last forward against codes, and its full backward. */
  @Override
  public Tensor lossAndBackward(Tensor codes) {
    backward(codeLoss.meanAndGradient(logits, codes));
    return codeLoss.loss();
  }

  /** Each example's negative log-likelihood in nats (summed over its T codes). */
  @Override
  public double[] nll(Tensor codes, int[] labels) {
    return codeLoss.perExample(forward(codes, labels), codes, config.length());
  }

  /**
   * Logits [N, 1, K] at position t of every sequence from its token there (int32[N, 1]), through the blocks'
   * key/value caches of positions 0..t-1: one position per call, t = 0, 1, ... in order.
   */
  Tensor step(Tensor ids, int t) {
    int n = ids.dim(0);
    Tensor e = tokens.forward(ids);
    Tensor posT = Buffers.ensure(null, device, DType.INT32, n, 1);
    try {
      int[] pos = new int[n];
      java.util.Arrays.fill(pos, t);
      posT.copyFrom(pos);
      Tensor p = positions.forward(posT);
      x0 = Buffers.ensure(x0, device, n, 1, config.width);
      Ops.add(e, p, x0);
    } finally {
      posT.close();
    }
    Tensor h = x0;
    for (TransformerBlock b : blocks) {
      h = b.step(h, t, config.length());
    }
    logits = head.forward(lnF.forward(h));
    return logits;
  }

  @Override
  public boolean decoupledWeightDecay() {
    return true;
  }

  /** The linear maps' weights: every 2-D parameter but the token and position embeddings. */
  @Override
  public boolean decays(Parameter p) {
    return p.shape().length == 2 && p != tokens.weight() && p != positions.weight();
  }

  @Override
  public int[] sampleCodes(int n, int[] labels, Sampling sampling, long seed, boolean fast) {
    return new TransformerSampler(this).sampleCodes(n, labels, sampling, seed,
        fast ? TransformerSampler.Method.CACHED : TransformerSampler.Method.RECOMPUTE);
  }

  /** Every parameter, in a fixed order with unique names. */
  @Override
  public List<Parameter> parameters() {
    List<Parameter> out = new ArrayList<>();
    out.addAll(tokens.parameters());
    out.addAll(positions.parameters());
    for (TransformerBlock b : blocks) {
      out.addAll(b.parameters());
    }
    out.addAll(lnF.parameters());
    out.addAll(head.parameters());
    return Collections.unmodifiableList(out);
  }

  @Override
  public void close() {
    tokens.close();
    positions.close();
    blocks.forEach(TransformerBlock::close);
    lnF.close();
    head.close();
    Buffers.close(tokenIds, firstIds, positionIds, x0);
    codeLoss.close();
  }
}
