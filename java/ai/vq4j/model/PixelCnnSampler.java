package ai.vq4j.model;

import ai.vq4j.nn.Buffers;
import ai.vq4j.nn.Conv2d;
import ai.vq4j.nn.GatedPixelCnnLayer;
import ai.vq4j.nn.Parameter;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Mask;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Draws code grids from a {@link PixelCnnPrior} in raster order: at each position the logits of every
 * example give one code by {@link Sampling#draw} (temperature, top-k, top-p) with one {@link Rng#nextDouble()}
 * per example, positions in raster order and examples in order within a position. The same seed gives the same
 * codes.
 *
 * <p>Two methods compute the logits, both from the same direct ops ({@link Ops#maskedConv2dDirectForward}
 * for every conv, then the same adds, gates and ReLUs, in the same order as the training forward):
 * <ul>
 *   <li>{@link Method#PLAIN}: a full forward pass over the whole grid for every position (h * w passes).
 *   <li>{@link Method#FAST}: caches activations and computes only what the new code changes. The vertical
 *       stack's output at row i depends only on rows above i, so it is computed once per row, for all
 *       layers, on a crop of the k / 2 rows above (a V_B conv reads nothing lower); the horizontal stack at
 *       (i, j) reads only its own row, left of j, so it is computed for that one position on a crop of the
 *       k / 2 columns to the left (cached from the earlier positions of the row); the head runs on that one
 *       position. Every crop holds all the taps its output reads, and the direct conv's output depends on
 *       nothing else, so each logit has the bits the plain method computes for it, and the codes drawn are
 *       identical. Work per grid: O(h) crop rows of the vertical stack and O(h w) single positions of the
 *       horizontal stack and head, instead of O(h w) full passes.
 * </ul>
 * (The training forward's GEMM convs would not do: a blocked GEMM's sums for one output may depend on the size of
 * the product, so a crop's logits could differ from the full pass's in the last bits.)
 */
public final class PixelCnnSampler {
  /** How the logits at each position are computed; both give the same codes for the same seed. */
  public enum Method { PLAIN, FAST }

  /** Receives the logits [n * K] (examples in order) of each position before its codes are drawn. */
  @FunctionalInterface
  public interface Observer {
    void logits(int row, int col, float[] logits);
  }

  private final PixelCnnPrior prior;

  public PixelCnnSampler(PixelCnnPrior prior) {
    this.prior = prior;
  }

  /**
   * n code grids int32[n, h, w] on the prior's device (the caller closes it). labels: one class label per grid
   * for a conditioned prior, null for an unconditioned one; temperature > 0 (1 samples the prior itself,
   * lower values sharpen it).
   */
  public Tensor sample(int n, int[] labels, double temperature, long seed, Method method) {
    int s = prior.gridSize();
    return Tensor.ofInts(prior.device(), sampleCodes(n, labels, temperature, seed, method, null), n, s, s);
  }

  /** As {@link #sampleCodes(int, int[], Sampling, long, Method, Observer)} at a temperature, without cuts. */
  public int[] sampleCodes(int n, int[] labels, double temperature, long seed, Method method, Observer observer) {
    return sampleCodes(n, labels, Sampling.withTemperature(temperature), seed, method, observer);
  }

  /**
   * Sampled codes as a host array [n * h * w] (grid by grid, row-major); observer (may be null) sees every
   * position's logits.
   */
  public int[] sampleCodes(int n, int[] labels, Sampling sampling, long seed, Method method, Observer observer) {
    if (n < 1) {
      throw new IllegalArgumentException("sample: need n >= 1 grids, got " + n);
    }
    checkLabels(n, labels);
    int s = prior.gridSize();
    int k = prior.numCodes();
    // The largest host buffers: every grid's stack activations (2 * hidden per position) and logits.
    long widest = (long) n * s * s * 2 * Math.max(prior.config().hidden, k);
    if (widest > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("sample: " + n + " grids of " + s + "x" + s + " need buffers of " + widest
          + " values, more than one Java array holds: sample fewer at a time");
    }
    Rng rng = new Rng(seed);
    int[] codes = new int[n * s * s];
    float[] logits = new float[n * k];
    Sampling.Scratch scratch = new Sampling.Scratch(k);
    try (Evaluator ev = method == Method.PLAIN ? new Plain(n, labels) : new Fast(n, labels)) {
      for (int r = 0; r < s; r++) {
        ev.startRow(r, codes);
        for (int c = 0; c < s; c++) {
          ev.logitsAt(r, c, codes, logits);
          if (observer != null) {
            observer.logits(r, c, logits.clone());
          }
          for (int i = 0; i < n; i++) {
            codes[(i * s + r) * s + c] = sampling.draw(logits, i * k, k, rng, scratch);
          }
        }
      }
    }
    return codes;
  }

  private void checkLabels(int n, int[] labels) {
    int classes = prior.config().numClasses;
    if (classes == 0) {
      if (labels != null) {
        throw new IllegalArgumentException("sample: the prior is unconditioned; labels must be null");
      }
      return;
    }
    if (labels == null || labels.length != n) {
      throw new IllegalArgumentException("sample: the prior is conditioned on " + classes + " classes: give one"
          + " label per grid (" + n + "), got " + (labels == null ? "none" : labels.length));
    }
    for (int l : labels) {
      if (l < 0 || l >= classes) {
        throw new IllegalArgumentException("sample: label " + l + " is outside [0, " + classes + ")");
      }
    }
  }

  // ------------------------------------------------------------------ the two ways to the logits

  /** Computes the logits at (r, c) given every code before it in raster order. */
  private abstract class Evaluator implements AutoCloseable {
    final int n;
    final int s;
    final int p;
    final int k;
    final int[] labels;
    final List<GatedPixelCnnLayer> layers;
    final Device device;
    final float[] table;
    private final Map<String, Tensor> pool = new HashMap<>();

    Evaluator(int n, int[] labels) {
      this.n = n;
      this.s = prior.gridSize();
      this.p = prior.config().hidden;
      this.k = prior.numCodes();
      this.labels = labels;
      this.layers = prior.layers();
      this.device = prior.device();
      this.table = prior.embedding().weight().value().toFloatArray();
    }

    /** A buffer of this shape, allocated once per name and shape. */
    Tensor buf(String name, int... shape) {
      String key = name + Arrays.toString(shape);
      Tensor t = pool.get(key);
      if (t == null) {
        t = Tensor.zeros(device, DType.FLOAT32, shape);
        pool.put(key, t);
      }
      return t;
    }

    Tensor intBuf(String name, int... shape) {
      String key = "int:" + name + Arrays.toString(shape);
      Tensor t = pool.get(key);
      if (t == null) {
        t = Tensor.zeros(device, DType.INT32, shape);
        pool.put(key, t);
      }
      return t;
    }

    /** The class bias of layer l at every position of an [n, rows, cols] block, or null when unconditioned. */
    Tensor cond(int l, int rows, int cols) {
      if (labels == null) {
        return null;
      }
      Tensor ids = intBuf("ids", n, rows, cols);
      int[] v = new int[n * rows * cols];
      for (int i = 0; i < n; i++) {
        Arrays.fill(v, i * rows * cols, (i + 1) * rows * cols, labels[i]);
      }
      ids.copyFrom(v);
      Tensor out = buf("cond" + l, n, rows, cols, 2 * p);
      layers.get(l).classBiasDirect(ids, out);
      return out;
    }

    /** The head: ReLU, 1x1 conv, ReLU, 1x1 conv, all direct, over h[n, rows, cols, p]. */
    Tensor head(Tensor h) {
      int rows = h.dim(1);
      int cols = h.dim(2);
      Conv2d c1 = prior.head1();
      Conv2d c2 = prior.head2();
      int hidden = c1.parameters().get(1).value().dim(0);
      Tensor a = buf("head.a", n, rows, cols, p);
      Ops.reluForward(h, a);
      Tensor z = buf("head.z", n, rows, cols, hidden);
      direct1x1(c1, a, z);
      Ops.reluForward(z, z);
      Tensor out = buf("head.logits", n, rows, cols, k);
      direct1x1(c2, z, out);
      return out;
    }

    void direct1x1(Conv2d conv, Tensor x, Tensor y) {
      List<Parameter> w = conv.parameters();
      Ops.maskedConv2dDirectForward(x, w.get(0).value(), w.get(1).value(), y, Mask.B);
    }

    abstract void startRow(int r, int[] codes);

    abstract void logitsAt(int r, int c, int[] codes, float[] logits);

    @Override
    public void close() {
      pool.values().forEach(Tensor::close);
      pool.clear();
    }
  }

  /** A full forward pass over the whole grid for every position. */
  private final class Plain extends Evaluator {
    /** The class bias of each layer at every position (null when unconditioned). */
    private final Tensor[] conds;

    Plain(int n, int[] labels) {
      super(n, labels);
      conds = new Tensor[layers.size()];
      for (int l = 0; l < conds.length; l++) {
        conds[l] = cond(l, s, s);
      }
    }

    @Override
    void startRow(int r, int[] codes) {}

    @Override
    void logitsAt(int r, int c, int[] codes, float[] logits) {
      Tensor codesT = intBuf("codes", n, s, s);
      codesT.copyFrom(codes);
      Tensor x = buf("x", n, s, s, p);
      Ops.embeddingForward(prior.embedding().weight().value(), codesT, x);
      Tensor v = x;
      Tensor h = x;
      for (int l = 0; l < layers.size(); l++) {
        GatedPixelCnnLayer layer = layers.get(l);
        Tensor cond = conds[l];
        Tensor pv = buf("pv", n, s, s, 2 * p);
        Tensor preV = cond == null ? pv : buf("preV", n, s, s, 2 * p);
        Tensor vOut = buf("v" + (l % 2), n, s, s, p);
        layer.verticalDirect(v, cond, pv, preV, vOut);
        Tensor lk = buf("lk", n, s, s, 2 * p);
        layer.linkDirect(pv, lk);
        Tensor ph = buf("ph", n, s, s, 2 * p);
        layer.horizontalConvDirect(h, ph);
        Tensor hOut = buf("h" + (l % 2), n, s, s, p);
        layer.horizontalDirect(ph, lk, cond, h, buf("preH", n, s, s, 2 * p), buf("g", n, s, s, p), hOut);
        v = vOut;
        h = hOut;
      }
      float[] all = head(h).toFloatArray();
      for (int i = 0; i < n; i++) {
        System.arraycopy(all, ((i * s + r) * s + c) * k, logits, i * k, k);
      }
    }
  }

  /** Row-cached vertical stack, position-cached horizontal stack: see the class comment. */
  private final class Fast extends Evaluator {
    /** v of each layer at every row computed so far: [layer][n, s, s, p]. */
    private final float[][] vCache;
    /** L(pv) of each layer on the current row: [layer][n, s, 2p]. */
    private final float[][] linkRow;
    /** h of each layer on the current row, columns computed so far: [layer][n, s, p]. */
    private final float[][] hRow;
    /** The class bias of each layer for each example: [layer][n, 2p] (null when unconditioned). */
    private final float[][] condVec;

    Fast(int n, int[] labels) {
      super(n, labels);
      int layerCount = layers.size();
      vCache = new float[layerCount][n * s * s * p];
      linkRow = new float[layerCount][n * s * 2 * p];
      hRow = new float[layerCount][n * s * p];
      condVec = labels == null ? null : new float[layerCount][];
      if (labels != null) {
        for (int l = 0; l < layerCount; l++) {
          Tensor one = cond(l, 1, 1);
          condVec[l] = one.toFloatArray();
        }
      }
    }

    /** The embedded codes of image i, row r, columns [c0, c0 + cols) into dst at offset. */
    private void embedRow(int[] codes, int i, int r, int c0, int cols, float[] dst, int offset) {
      for (int c = 0; c < cols; c++) {
        int code = codes[(i * s + r) * s + c0 + c];
        System.arraycopy(table, code * p, dst, offset + c * p, p);
      }
    }

    @Override
    void startRow(int r, int[] codes) {
      for (int l = 0; l < layers.size(); l++) {
        GatedPixelCnnLayer layer = layers.get(l);
        int r0 = Math.max(0, r - layer.reach());
        int rows = r - r0 + 1;
        // The crop [r0, r] holds every row the V conv of row r reads (V_A: r0..r-1; V_B: r0..r).
        float[] in = new float[n * rows * s * p];
        for (int i = 0; i < n; i++) {
          for (int y = 0; y < rows; y++) {
            int dst = (i * rows + y) * s * p;
            if (l == 0) {
              embedRow(codes, i, r0 + y, 0, s, in, dst);
            } else {
              System.arraycopy(vCache[l - 1], ((i * s + r0 + y) * s) * p, in, dst, s * p);
            }
          }
        }
        Tensor xWin = buf("vin", n, rows, s, p);
        xWin.copyFrom(in);
        Tensor cond = condBlock(l, rows, s);
        Tensor pv = buf("pv", n, rows, s, 2 * p);
        Tensor preV = cond == null ? pv : buf("preV", n, rows, s, 2 * p);
        Tensor vOut = buf("v", n, rows, s, p);
        layer.verticalDirect(xWin, cond, pv, preV, vOut);
        float[] v = vOut.toFloatArray();
        float[] pvAll = pv.toFloatArray();
        float[] pvRow = new float[n * s * 2 * p];
        for (int i = 0; i < n; i++) {
          System.arraycopy(v, ((i * rows + rows - 1) * s) * p, vCache[l], ((i * s + r) * s) * p, s * p);
          System.arraycopy(pvAll, ((i * rows + rows - 1) * s) * 2 * p, pvRow, i * s * 2 * p, s * 2 * p);
        }
        Tensor pvT = buf("pvRow", n, 1, s, 2 * p);
        pvT.copyFrom(pvRow);
        Tensor lk = buf("lkRow", n, 1, s, 2 * p);
        layer.linkDirect(pvT, lk);
        float[] lkAll = lk.toFloatArray();
        System.arraycopy(lkAll, 0, linkRow[l], 0, lkAll.length);
      }
    }

    /** The class bias of layer l over an [n, rows, cols] block, from the cached per-example vectors. */
    private Tensor condBlock(int l, int rows, int cols) {
      if (condVec == null) {
        return null;
      }
      Tensor out = buf("condBlock", n, rows, cols, 2 * p);
      float[] v = new float[n * rows * cols * 2 * p];
      for (int i = 0; i < n; i++) {
        for (int q = 0; q < rows * cols; q++) {
          System.arraycopy(condVec[l], i * 2 * p, v, (i * rows * cols + q) * 2 * p, 2 * p);
        }
      }
      out.copyFrom(v);
      return out;
    }

    @Override
    void logitsAt(int r, int c, int[] codes, float[] logits) {
      Tensor h1 = null;
      for (int l = 0; l < layers.size(); l++) {
        GatedPixelCnnLayer layer = layers.get(l);
        int c0 = Math.max(0, c - layer.reach());
        int cols = c - c0 + 1;
        // The crop [c0, c] of row r holds every column the H conv of (r, c) reads (H_A: c0..c-1; H_B: c0..c).
        float[] in = new float[n * cols * p];
        for (int i = 0; i < n; i++) {
          if (l == 0) {
            embedRow(codes, i, r, c0, cols, in, i * cols * p);
          } else {
            System.arraycopy(hRow[l - 1], (i * s + c0) * p, in, i * cols * p, cols * p);
          }
        }
        Tensor hWin = buf("hin", n, 1, cols, p);
        hWin.copyFrom(in);
        Tensor phWin = buf("ph", n, 1, cols, 2 * p);
        layer.horizontalConvDirect(hWin, phWin);
        float[] phAll = phWin.toFloatArray();
        float[] ph = new float[n * 2 * p];
        float[] lk = new float[n * 2 * p];
        float[] xh = new float[n * p];
        for (int i = 0; i < n; i++) {
          System.arraycopy(phAll, (i * cols + cols - 1) * 2 * p, ph, i * 2 * p, 2 * p);
          System.arraycopy(linkRow[l], (i * s + c) * 2 * p, lk, i * 2 * p, 2 * p);
          System.arraycopy(in, (i * cols + cols - 1) * p, xh, i * p, p);
        }
        Tensor phT = buf("ph1", n, 1, 1, 2 * p);
        phT.copyFrom(ph);
        Tensor lkT = buf("lk1", n, 1, 1, 2 * p);
        lkT.copyFrom(lk);
        Tensor xhT = buf("xh1", n, 1, 1, p);
        xhT.copyFrom(xh);
        Tensor cond = null;
        if (condVec != null) {
          cond = buf("cond1", n, 1, 1, 2 * p);
          cond.copyFrom(condVec[l]);
        }
        h1 = buf("h1", n, 1, 1, p);
        layer.horizontalDirect(phT, lkT, cond, xhT, buf("preH1", n, 1, 1, 2 * p), buf("g1", n, 1, 1, p), h1);
        float[] h = h1.toFloatArray();
        for (int i = 0; i < n; i++) {
          System.arraycopy(h, i * p, hRow[l], (i * s + c) * p, p);
        }
      }
      float[] out = head(h1).toFloatArray();
      System.arraycopy(out, 0, logits, 0, n * k);
    }
  }
}
