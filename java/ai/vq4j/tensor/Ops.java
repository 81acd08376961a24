package ai.vq4j.tensor;

import static ai.vq4j.bridge.Vq4jNative.*;

import java.util.Arrays;
import org.bytedeco.javacpp.IntPointer;
import java.util.function.IntSupplier;
import org.bytedeco.javacpp.FloatPointer;

/**
 * The op facade: every native op, with its shapes checked in Java first. A shape that does not fit is an
 * {@link IllegalArgumentException} naming the op and the shapes; a tensor on another device, of the wrong
 * type or closed is refused before any native call; a non-zero native status becomes a
 * {@link Vq4jException} with the op name and the native message. Outputs are passed in (preallocated and
 * reused), never allocated here. Layout: NHWC activations, conv weights [C_out, kH, kW, C_in], transposed
 * conv weights [C_in, kH, kW, C_out]. Backward ops overwrite their outputs.
 */
public final class Ops {
  private Ops() {}

  // ---------------------------------------------------------------- conv2d

  /** y[N, OH, OW, Co] = conv(x[N, H, W, Ci], w[Co, kH, kW, Ci]) + b[Co]; b may be null. */
  public static void conv2dForward(Tensor x, Tensor w, Tensor b, Tensor y, int stride, int pad) {
    String op = "conv2dForward";
    Conv g = Conv.of(op, false, x, w, stride, pad);
    g.checkBias(op, b);
    g.checkOut(op, "y", y);
    Device d = device(op, x, w, b, y);
    call(op, d, () -> vq4j_conv2d_fwd(d.ctx, x.floats(), w.floats(), opt(b), y.floats(),
        g.n, g.h, g.w, g.ci, g.co, g.kh, g.kw, stride, pad));
  }

  /** dx[N, H, W, Ci] from dy[N, OH, OW, Co] and w[Co, kH, kW, Ci]. */
  public static void conv2dBackwardData(Tensor dy, Tensor w, Tensor dx, int stride, int pad) {
    String op = "conv2dBackwardData";
    Conv g = Conv.of(op, false, dx, w, stride, pad);
    g.checkOut(op, "dy", dy);
    Device d = device(op, dy, w, dx);
    call(op, d, () -> vq4j_conv2d_bwd_data(d.ctx, dy.floats(), w.floats(), dx.floats(),
        g.n, g.h, g.w, g.ci, g.co, g.kh, g.kw, stride, pad));
  }

  /** dw[Co, kH, kW, Ci] and db[Co] (may be null) from x[N, H, W, Ci] and dy[N, OH, OW, Co]. */
  public static void conv2dBackwardWeight(Tensor x, Tensor dy, Tensor dw, Tensor db, int stride, int pad) {
    String op = "conv2dBackwardWeight";
    Conv g = Conv.of(op, false, x, dw, stride, pad);
    g.checkBias(op, db);
    g.checkOut(op, "dy", dy);
    Device d = device(op, x, dy, dw, db);
    call(op, d, () -> vq4j_conv2d_bwd_weight(d.ctx, x.floats(), dy.floats(), dw.floats(), opt(db),
        g.n, g.h, g.w, g.ci, g.co, g.kh, g.kw, stride, pad));
  }

  // ---------------------------------------------------------------- conv_transpose2d

  /** y[N, OH, OW, Co] = convT(x[N, H, W, Ci], w[Ci, kH, kW, Co]) + b[Co], OH = (H - 1) s - 2p + kH. */
  public static void convTranspose2dForward(Tensor x, Tensor w, Tensor b, Tensor y, int stride, int pad) {
    String op = "convTranspose2dForward";
    Conv g = Conv.of(op, true, x, w, stride, pad);
    g.checkBias(op, b);
    g.checkOut(op, "y", y);
    Device d = device(op, x, w, b, y);
    call(op, d, () -> vq4j_conv_transpose2d_fwd(d.ctx, x.floats(), w.floats(), opt(b), y.floats(),
        g.n, g.h, g.w, g.ci, g.co, g.kh, g.kw, stride, pad));
  }

  /** dx[N, H, W, Ci] from dy[N, OH, OW, Co] and w[Ci, kH, kW, Co]. */
  public static void convTranspose2dBackwardData(Tensor dy, Tensor w, Tensor dx, int stride, int pad) {
    String op = "convTranspose2dBackwardData";
    Conv g = Conv.of(op, true, dx, w, stride, pad);
    g.checkOut(op, "dy", dy);
    Device d = device(op, dy, w, dx);
    call(op, d, () -> vq4j_conv_transpose2d_bwd_data(d.ctx, dy.floats(), w.floats(), dx.floats(),
        g.n, g.h, g.w, g.ci, g.co, g.kh, g.kw, stride, pad));
  }

  /** dw[Ci, kH, kW, Co] and db[Co] (may be null) from x[N, H, W, Ci] and dy[N, OH, OW, Co]. */
  public static void convTranspose2dBackwardWeight(Tensor x, Tensor dy, Tensor dw, Tensor db, int stride,
      int pad) {
    String op = "convTranspose2dBackwardWeight";
    Conv g = Conv.of(op, true, x, dw, stride, pad);
    g.checkBias(op, db);
    g.checkOut(op, "dy", dy);
    Device d = device(op, x, dy, dw, db);
    call(op, d, () -> vq4j_conv_transpose2d_bwd_weight(d.ctx, x.floats(), dy.floats(), dw.floats(),
        opt(db), g.n, g.h, g.w, g.ci, g.co, g.kh, g.kw, stride, pad));
  }

  // ---------------------------------------------------------------- masked_conv2d

  /** y[N, H, W, Co] = masked conv(x[N, H, W, Ci], w[Co, k, k, Ci]) + b[Co]; stride 1, padding k / 2. */
  public static void maskedConv2dForward(Tensor x, Tensor w, Tensor b, Tensor y, Mask mask) {
    String op = "maskedConv2dForward";
    Conv g = Conv.masked(op, x, w);
    g.checkBias(op, b);
    g.checkOut(op, "y", y);
    Device d = device(op, x, w, b, y);
    call(op, d, () -> vq4j_masked_conv2d_fwd(d.ctx, x.floats(), w.floats(), opt(b), y.floats(),
        g.n, g.h, g.w, g.ci, g.co, g.kh, mask.code));
  }

  /** dx[N, H, W, Ci] from dy[N, H, W, Co] and w[Co, k, k, Ci]. */
  public static void maskedConv2dBackwardData(Tensor dy, Tensor w, Tensor dx, Mask mask) {
    String op = "maskedConv2dBackwardData";
    Conv g = Conv.masked(op, dx, w);
    g.checkOut(op, "dy", dy);
    Device d = device(op, dy, w, dx);
    call(op, d, () -> vq4j_masked_conv2d_bwd_data(d.ctx, dy.floats(), w.floats(), dx.floats(),
        g.n, g.h, g.w, g.ci, g.co, g.kh, mask.code));
  }

  /** dw[Co, k, k, Ci] (0 at masked taps) and db[Co] (may be null) from x and dy. */
  public static void maskedConv2dBackwardWeight(Tensor x, Tensor dy, Tensor dw, Tensor db, Mask mask) {
    String op = "maskedConv2dBackwardWeight";
    Conv g = Conv.masked(op, x, dw);
    g.checkBias(op, db);
    g.checkOut(op, "dy", dy);
    Device d = device(op, x, dy, dw, db);
    call(op, d, () -> vq4j_masked_conv2d_bwd_weight(d.ctx, x.floats(), dy.floats(), dw.floats(), opt(db),
        g.n, g.h, g.w, g.ci, g.co, g.kh, mask.code));
  }

  /**
   * The forward of {@link #maskedConv2dForward} without a matrix product: each output value is b + the sum over
   * the kept taps (row-major) and input channels (in order) of x * w, every product and sum rounded to
   * float32, taps outside the input reading 0. An output therefore depends on nothing but the inputs its taps
   * read: computed on a crop of x, it has the bits of the whole x's output wherever the crop holds all its
   * taps (the BLAS product of maskedConv2dForward does not promise that). k = 1 with {@link Mask#B} is a 1x1
   * conv. Slower than maskedConv2dForward; for the PixelCNN prior's sampling.
   */
  public static void maskedConv2dDirectForward(Tensor x, Tensor w, Tensor b, Tensor y, Mask mask) {
    String op = "maskedConv2dDirectForward";
    Conv g = Conv.masked(op, x, w);
    g.checkBias(op, b);
    g.checkOut(op, "y", y);
    Device d = device(op, x, w, b, y);
    call(op, d, () -> vq4j_masked_conv2d_direct_fwd(d.ctx, x.floats(), w.floats(), opt(b), y.floats(),
        g.n, g.h, g.w, g.ci, g.co, g.kh, mask.code));
  }

  // ---------------------------------------------------------------- elementwise

  /** y = max(x, 0); y may be x. */
  public static void reluForward(Tensor x, Tensor y) {
    String op = "reluForward";
    sameShape(op, x, y);
    Device d = device(op, x, y);
    call(op, d, () -> vq4j_relu_fwd(d.ctx, x.floats(), y.floats(), x.size()));
  }

  /** dx = dy where the forward output y is positive, else 0; dx may be dy. */
  public static void reluBackward(Tensor y, Tensor dy, Tensor dx) {
    String op = "reluBackward";
    sameShape(op, y, dy, dx);
    Device d = device(op, y, dy, dx);
    call(op, d, () -> vq4j_relu_bwd(d.ctx, y.floats(), dy.floats(), dx.floats(), y.size()));
  }

  /** y = a + b (the residual add; its backward hands dy to both inputs); y may be a or b. */
  public static void add(Tensor a, Tensor b, Tensor y) {
    String op = "add";
    sameShape(op, a, b, y);
    Device d = device(op, a, b, y);
    call(op, d, () -> vq4j_add(d.ctx, a.floats(), b.floats(), y.floats(), a.size()));
  }

  // ---------------------------------------------------------------- vq_quantize

  /**
   * codes[rows] = index of the nearest codebook row (L2, ties to the lowest index) for each latent vector
   * of zE[..., D] (rows = all but the last dimension), and zQ = codebook[codes].
   */
  public static void vqQuantizeForward(Tensor zE, Tensor codebook, Tensor codes, Tensor zQ) {
    String op = "vqQuantizeForward";
    Vq g = Vq.of(op, zE, codebook);
    g.checkCodes(op, codes);
    sameShape(op, zE, zQ);
    Device d = device(op, zE, codebook, codes, zQ);
    call(op, d, () -> vq4j_vq_quantize_fwd(d.ctx, zE.floats(), codebook.floats(), codes.ints(), zQ.floats(),
        g.rows, g.d, g.k));
  }

  /** loss[1] = mean (zE - zQ)^2: the value of both the codebook and the commitment term. */
  public static void vqLoss(Tensor zE, Tensor zQ, Tensor loss) {
    String op = "vqLoss";
    sameShape(op, zE, zQ);
    scalar(op, "loss", loss);
    Device d = device(op, zE, zQ, loss);
    int dim = zE.dim(-1);
    int rows = Math.toIntExact(zE.size() / dim);
    call(op, d, () -> vq4j_vq_loss(d.ctx, zE.floats(), zQ.floats(), loss.floats(), rows, dim));
  }

  /**
   * Straight-through and quantizer-loss gradients: dzE = dzQ + beta * d commitment / d zE, and
   * dcodebook = codebookWeight * d codebook-loss / d codebook (dcodebook may be null: the EMA variant).
   */
  public static void vqQuantizeBackward(Tensor zE, Tensor zQ, Tensor codes, Tensor dzQ, Tensor dzE,
      Tensor dcodebook, float beta, float codebookWeight) {
    String op = "vqQuantizeBackward";
    sameShape(op, zE, zQ, dzQ, dzE);
    int dim = zE.dim(-1);
    int rows = Math.toIntExact(zE.size() / dim);
    int k;
    if (dcodebook != null) {
      Vq g = Vq.of(op, zE, dcodebook);
      k = g.k;
    } else {
      k = Integer.MAX_VALUE;
    }
    Vq.checkCodes(op, codes, rows);
    Device d = device(op, zE, zQ, codes, dzQ, dzE, dcodebook);
    call(op, d, () -> vq4j_vq_quantize_bwd(d.ctx, zE.floats(), zQ.floats(), codes.ints(), dzQ.floats(),
        dzE.floats(), opt(dcodebook), beta, codebookWeight, rows, dim, k));
  }

  /**
   * The rotation trick's gradient (Fifty et al. 2024): dzRot = lambda R^T dzQ per row, R the rotation taking
   * zE's direction to zQ's and lambda = |zQ|/|zE| (see vq4j.h); feed it to {@link #vqQuantizeBackward} in
   * place of dzQ. dzRot may be dzQ.
   */
  public static void vqRotateGrad(Tensor zE, Tensor zQ, Tensor dzQ, Tensor dzRot) {
    String op = "vqRotateGrad";
    sameShape(op, zE, zQ, dzQ, dzRot);
    int dim = zE.dim(-1);
    int rows = Math.toIntExact(zE.size() / dim);
    Device d = device(op, zE, zQ, dzQ, dzRot);
    call(op, d, () -> vq4j_vq_rotate_grad(d.ctx, zE.floats(), zQ.floats(), dzQ.floats(), dzRot.floats(), rows, dim));
  }

  /**
   * Finite scalar quantization (Mentzer et al. 2023) of z[..., d]: channel i bounded by a tanh and rounded to
   * levels[i] values in [-1, 1] (zQ), codes[...] the mixed-radix number of the digits (see vq4j.h).
   */
  public static void fsqForward(Tensor z, int[] levels, Tensor codes, Tensor zQ) {
    String op = "fsqForward";
    sameShape(op, z, zQ);
    int rows = fsqRows(op, z, levels);
    Vq.checkCodes(op, codes, rows);
    Device d = device(op, z, codes, zQ);
    try (IntPointer l = new IntPointer(levels)) {
      call(op, d, () -> vq4j_fsq_fwd(d.ctx, z.floats(), l, codes.ints(), zQ.floats(), rows, levels.length));
    }
  }

  /** dz = dzQ times the bound's slope: the straight-through gradient of {@link #fsqForward}. */
  public static void fsqBackward(Tensor z, int[] levels, Tensor dzQ, Tensor dz) {
    String op = "fsqBackward";
    sameShape(op, z, dzQ, dz);
    int rows = fsqRows(op, z, levels);
    Device d = device(op, z, dzQ, dz);
    try (IntPointer l = new IntPointer(levels)) {
      call(op, d, () -> vq4j_fsq_bwd(d.ctx, z.floats(), l, dzQ.floats(), dz.floats(), rows, levels.length));
    }
  }

  private static int fsqRows(String op, Tensor z, int[] levels) {
    if (z.dim(-1) != levels.length) {
      throw shapeError(op, "z must end in one channel per level (" + levels.length + ")", z);
    }
    return Math.toIntExact(z.size() / levels.length);
  }

  /** y = x / max(|x|, 1e-12) over the last dimension (ViT-VQGAN's l2-normalised codes); y may be x. */
  public static void l2NormalizeForward(Tensor x, Tensor y) {
    String op = "l2NormalizeForward";
    sameShape(op, x, y);
    int dim = x.dim(-1);
    int rows = Math.toIntExact(x.size() / dim);
    Device d = device(op, x, y);
    call(op, d, () -> vq4j_l2_normalize_fwd(d.ctx, x.floats(), y.floats(), rows, dim));
  }

  /** dx from dy through {@link #l2NormalizeForward}: the tangent part of dy over |x|; dx may be dy. */
  public static void l2NormalizeBackward(Tensor x, Tensor dy, Tensor dx) {
    String op = "l2NormalizeBackward";
    sameShape(op, x, dy, dx);
    int dim = x.dim(-1);
    int rows = Math.toIntExact(x.size() / dim);
    Device d = device(op, x, dy, dx);
    call(op, d, () -> vq4j_l2_normalize_bwd(d.ctx, x.floats(), dy.floats(), dx.floats(), rows, dim));
  }

  /**
   * A batch's per-code statistics, what data-parallel ranks all-reduce: counts[K] = rows with each code of
   * codes[...] and, with zE[..., D] given, sums[K, D] = the sum of those rows of zE (zE and sums both given or
   * both null).
   */
  public static void vqCodeSums(Tensor codes, Tensor zE, Tensor counts, Tensor sums) {
    String op = "vqCodeSums";
    requireType(op, "codes", codes, DType.INT32);
    int k = codeCount(op, "counts", counts);
    if ((zE == null) != (sums == null)) {
      throw new IllegalArgumentException(op + ": zE and sums must both be given or both be null");
    }
    int rows = Math.toIntExact(codes.size());
    int dim = 1;
    if (sums != null) {
      Vq g = Vq.of(op, zE, sums);
      g.checkCodes(op, codes);
      if (g.k != k) {
        throw shapeError(op, "sums must be [K, D] with K = " + k, sums, counts);
      }
      dim = g.d;
    }
    int d = dim;
    Device dev = device(op, codes, zE, counts, sums);
    call(op, dev, () -> vq4j_vq_code_sums(dev.ctx, codes.ints(), opt(zE), counts.floats(), opt(sums), rows, d, k));
  }

  /** perplexity[1] = exp(entropy of the code frequencies counts[K] / their sum). */
  public static void vqStats(Tensor counts, Tensor perplexity) {
    String op = "vqStats";
    int k = codeCount(op, "counts", counts);
    scalar(op, "perplexity", perplexity);
    Device d = device(op, counts, perplexity);
    call(op, d, () -> vq4j_vq_stats(d.ctx, counts.floats(), perplexity.floats(), k));
  }

  /** t's K, after checking it is a float32 [K]. */
  private static int codeCount(String op, String name, Tensor t) {
    requireType(op, name, t, DType.FLOAT32);
    if (t.rank() != 1) {
      throw shapeError(op, name + " must be [K]", t);
    }
    return t.dim(0);
  }

  /** t must be a float32 [K] like codebook's rows. */
  private static void perCode(String op, String name, Tensor t, Tensor codebook) {
    requireType(op, name, t, DType.FLOAT32);
    if (t.rank() != 1 || t.dim(0) != codebook.dim(0)) {
      throw shapeError(op, name + " must be [K] with K = " + codebook.dim(0), t, codebook);
    }
  }

  // ---------------------------------------------------------------- vq_ema_update

  /**
   * EMA codebook update (gamma decay, Laplace smoothing eps): updates emaCount[K], emaSum[K, D] and
   * codebook[K, D] in place from a batch's counts[K] and sums[K, D] ({@link #vqCodeSums}).
   */
  public static void vqEmaUpdate(Tensor counts, Tensor sums, Tensor emaCount, Tensor emaSum, Tensor codebook,
      float gamma, float eps) {
    String op = "vqEmaUpdate";
    Vq g = Vq.of(op, sums, codebook);
    sameShape(op, codebook, sums, emaSum);
    perCode(op, "counts", counts, codebook);
    perCode(op, "emaCount", emaCount, codebook);
    Device d = device(op, counts, sums, emaCount, emaSum, codebook);
    call(op, d, () -> vq4j_vq_ema_update(d.ctx, counts.floats(), sums.floats(), emaCount.floats(), emaSum.floats(),
        codebook.floats(), gamma, eps, g.d, g.k));
  }

  /**
   * The row of the (global) batch each code of candidates[K, D] restarts from if it dies this step: code j's
   * is row hash(key, j) of totalRows; zE[..., D] holds rows [firstRow, firstRow + its rows), whose
   * candidates are copied, the others zeroed (so that the sum over data-parallel ranks is every code's).
   */
  public static void vqRestartCandidates(Tensor zE, Tensor candidates, long firstRow, long totalRows, long key) {
    String op = "vqRestartCandidates";
    Vq g = Vq.of(op, zE, candidates);
    if (firstRow < 0 || totalRows < firstRow + g.rows || totalRows >= 1L << 31) {
      throw new IllegalArgumentException(op + ": need 0 <= firstRow and firstRow + rows <= totalRows < 2^31, got"
          + " firstRow " + firstRow + ", rows " + g.rows + ", totalRows " + totalRows);
    }
    Device d = device(op, zE, candidates);
    call(op, d, () -> vq4j_vq_restart_candidates(d.ctx, zE.floats(), candidates.floats(), g.rows, firstRow,
        totalRows, g.d, g.k, key));
  }

  /**
   * Dead-code tracking and restart: folds counts[K] into usage[K] (EMA with the given decay), writes the
   * number of codes under the threshold to dead[1] and, with restart on, resets each of them to its row of
   * candidates[K, D] ({@link #vqRestartCandidates}; may be null without restart): codebook row, usage 1 and,
   * when emaCount/emaSum are given, the EMA statistics; marking them in restarted[K] (int32).
   */
  public static void vqDeadCodes(Tensor counts, Tensor usage, Tensor candidates, Tensor codebook, Tensor emaCount,
      Tensor emaSum, Tensor restarted, Tensor dead, double decay, float threshold, boolean restart) {
    String op = "vqDeadCodes";
    requireType(op, "codebook", codebook, DType.FLOAT32);
    if (codebook.rank() != 2) {
      throw shapeError(op, "codebook must be [K, D]", codebook);
    }
    perCode(op, "counts", counts, codebook);
    perCode(op, "usage", usage, codebook);
    requireType(op, "restarted", restarted, DType.INT32);
    if (restarted.rank() != 1 || restarted.dim(0) != codebook.dim(0)) {
      throw shapeError(op, "restarted must be [K] with K = " + codebook.dim(0), restarted, codebook);
    }
    scalar(op, "dead", dead);
    if (restart && candidates == null) {
      throw new IllegalArgumentException(op + ": a restart needs the candidates");
    }
    if (candidates != null) {
      sameShape(op, codebook, candidates);
    }
    if ((emaCount == null) != (emaSum == null)) {
      throw new IllegalArgumentException(op + ": emaCount and emaSum must both be given or both be null");
    }
    if (emaSum != null) {
      sameShape(op, codebook, emaSum);
      perCode(op, "emaCount", emaCount, codebook);
    }
    if (!(decay >= 0 && decay < 1)) {
      throw new IllegalArgumentException(op + ": decay must be in [0, 1), got " + decay);
    }
    int k = codebook.dim(0);
    int dim = codebook.dim(1);
    Device d = device(op, counts, usage, candidates, codebook, emaCount, emaSum, restarted, dead);
    call(op, d, () -> vq4j_vq_dead_codes(d.ctx, counts.floats(), usage.floats(), opt(candidates), codebook.floats(),
        opt(emaCount), opt(emaSum), restarted.ints(), dead.floats(), dim, k, decay, threshold, restart ? 1 : 0));
  }

  // ---------------------------------------------------------------- gated_activation

  /** y[..., C] = tanh(x[..., :C]) * sigmoid(x[..., C:]) for x[..., 2C]. */
  public static void gatedActivationForward(Tensor x, Tensor y) {
    String op = "gatedActivationForward";
    int c = gated(op, x, y);
    Device d = device(op, x, y);
    call(op, d, () -> vq4j_gated_activation_fwd(d.ctx, x.floats(), y.floats(), rows(y), c));
  }

  /** dx[..., 2C] from x[..., 2C] and dy[..., C]. */
  public static void gatedActivationBackward(Tensor x, Tensor dy, Tensor dx) {
    String op = "gatedActivationBackward";
    int c = gated(op, x, dy);
    sameShape(op, x, dx);
    Device d = device(op, x, dy, dx);
    call(op, d, () -> vq4j_gated_activation_bwd(d.ctx, x.floats(), dy.floats(), dx.floats(), rows(dy), c));
  }

  // ---------------------------------------------------------------- losses

  /** loss[1] = mean (pred - target)^2. */
  public static void mseForward(Tensor pred, Tensor target, Tensor loss) {
    String op = "mseForward";
    sameShape(op, pred, target);
    scalar(op, "loss", loss);
    Device d = device(op, pred, target, loss);
    call(op, d, () -> vq4j_mse_fwd(d.ctx, pred.floats(), target.floats(), loss.floats(), pred.size()));
  }

  /** dpred = scale * d mean (pred - target)^2 / d pred. */
  public static void mseBackward(Tensor pred, Tensor target, Tensor dpred, float scale) {
    String op = "mseBackward";
    sameShape(op, pred, target, dpred);
    Device d = device(op, pred, target, dpred);
    call(op, d, () -> vq4j_mse_bwd(d.ctx, pred.floats(), target.floats(), dpred.floats(), scale, pred.size()));
  }

  /**
   * Softmax cross-entropy over the last dimension K of logits[..., K] with int32 targets[...]:
   * loss[1] = mean negative log-likelihood in nats; nll (may be null) receives each position's term.
   */
  public static void softmaxXentForward(Tensor logits, Tensor targets, Tensor loss, Tensor nll) {
    String op = "softmaxXentForward";
    int k = xent(op, logits, targets);
    scalar(op, "loss", loss);
    if (nll != null) {
      requireType(op, "nll", nll, DType.FLOAT32);
      if (nll.size() != targets.size()) {
        throw shapeError(op, "nll must have one value per target", nll, targets);
      }
    }
    Device d = device(op, logits, targets, loss, nll);
    call(op, d, () -> vq4j_softmax_xent_fwd(d.ctx, logits.floats(), targets.ints(), loss.floats(), opt(nll),
        Math.toIntExact(targets.size()), k));
  }

  /** dlogits = scale * (softmax(logits) - onehot(targets)) / rows. */
  public static void softmaxXentBackward(Tensor logits, Tensor targets, Tensor dlogits, float scale) {
    String op = "softmaxXentBackward";
    int k = xent(op, logits, targets);
    sameShape(op, logits, dlogits);
    Device d = device(op, logits, targets, dlogits);
    call(op, d, () -> vq4j_softmax_xent_bwd(d.ctx, logits.floats(), targets.ints(), dlogits.floats(), scale,
        Math.toIntExact(targets.size()), k));
  }

  // ---------------------------------------------------------------- embedding

  /** y[..., D] = table[ids[...]] for table[K, D] and int32 ids. */
  public static void embeddingForward(Tensor table, Tensor ids, Tensor y) {
    String op = "embeddingForward";
    Vq g = Vq.of(op, y, table);
    g.checkCodes(op, ids);
    Device d = device(op, table, ids, y);
    call(op, d, () -> vq4j_embedding_fwd(d.ctx, table.floats(), ids.ints(), y.floats(), g.rows, g.d, g.k));
  }

  /** dtable[K, D] = sum of dy[...] rows per id (overwrites dtable). */
  public static void embeddingBackward(Tensor ids, Tensor dy, Tensor dtable) {
    String op = "embeddingBackward";
    Vq g = Vq.of(op, dy, dtable);
    g.checkCodes(op, ids);
    Device d = device(op, ids, dy, dtable);
    call(op, d, () -> vq4j_embedding_bwd(d.ctx, ids.ints(), dy.floats(), dtable.floats(), g.rows, g.d, g.k));
  }

  // ---------------------------------------------------------------- adam

  /**
   * One Adam step (PyTorch's formulation) on param with moments m and v; t >= 1. Weight decay is L2 (added to
   * the gradient, torch.optim.Adam), or with decoupled AdamW's (param *= 1 - lr * weightDecay first,
   * torch.optim.AdamW).
   */
  public static void adamStep(Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1,
      double beta2, double eps, double weightDecay, int t, boolean decoupled) {
    String op = "adamStep";
    sameShape(op, param, grad, m, v);
    if (t < 1) {
      throw new IllegalArgumentException(op + ": step t must be >= 1, got " + t);
    }
    Device d = device(op, param, grad, m, v);
    call(op, d, () -> vq4j_adam_step(d.ctx, param.floats(), grad.floats(), m.floats(), v.floats(),
        param.size(), lr, beta1, beta2, eps, weightDecay, t, decoupled ? 1 : 0));
  }

  /** m = v = 0 in the rows r of the [R, W] moments where mask[r] != 0 (mask int32[R]). */
  public static void adamResetRows(Tensor m, Tensor v, Tensor mask) {
    String op = "adamResetRows";
    sameShape(op, m, v);
    requireType(op, "m", m, DType.FLOAT32);
    requireType(op, "mask", mask, DType.INT32);
    if (m.rank() != 2 || mask.rank() != 1 || mask.dim(0) != m.dim(0)) {
      throw shapeError(op, "moments must be [R, W] and mask [R]", m, mask);
    }
    Device d = device(op, m, v, mask);
    call(op, d, () -> vq4j_adam_reset_rows(d.ctx, m.floats(), v.floats(), mask.ints(), m.dim(0), m.dim(1)));
  }

  // ---------------------------------------------------------------- layer_norm

  /**
   * Layer norm over the last dimension C of x[..., C]: y = (x - mean) * rstd * gamma[C] + beta[C], with each
   * row's mean and rstd = 1 / sqrt(biased variance + eps) written to mean[rows] and rstd[rows].
   */
  public static void layerNormForward(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor mean, Tensor rstd,
      float eps) {
    String op = "layerNormForward";
    int c = layerNorm(op, x, gamma, mean, rstd);
    sameShape(op, gamma, beta);
    sameShape(op, x, y);
    if (!(eps > 0)) {
      throw new IllegalArgumentException(op + ": eps must be positive, got " + eps);
    }
    Device d = device(op, x, gamma, beta, y, mean, rstd);
    call(op, d, () -> vq4j_layer_norm_fwd(d.ctx, x.floats(), gamma.floats(), beta.floats(), y.floats(),
        mean.floats(), rstd.floats(), rows(x), c, eps));
  }

  /** dx[..., C], dgamma[C], dbeta[C] (overwritten) from x, gamma, the forward's mean and rstd, and dy. */
  public static void layerNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor dy, Tensor dx,
      Tensor dgamma, Tensor dbeta) {
    String op = "layerNormBackward";
    int c = layerNorm(op, x, gamma, mean, rstd);
    sameShape(op, x, dy, dx);
    sameShape(op, gamma, dgamma, dbeta);
    Device d = device(op, x, gamma, mean, rstd, dy, dx, dgamma, dbeta);
    call(op, d, () -> vq4j_layer_norm_bwd(d.ctx, x.floats(), gamma.floats(), mean.floats(), rstd.floats(),
        dy.floats(), dx.floats(), dgamma.floats(), dbeta.floats(), rows(x), c));
  }

  // ---------------------------------------------------------------- gelu

  /** y = GELU(x), the tanh approximation (PyTorch's approximate="tanh"); y may be x. */
  public static void geluForward(Tensor x, Tensor y) {
    String op = "geluForward";
    sameShape(op, x, y);
    Device d = device(op, x, y);
    call(op, d, () -> vq4j_gelu_fwd(d.ctx, x.floats(), y.floats(), x.size()));
  }

  /** dx = dy * GELU'(x); dx may be dy. */
  public static void geluBackward(Tensor x, Tensor dy, Tensor dx) {
    String op = "geluBackward";
    sameShape(op, x, dy, dx);
    Device d = device(op, x, dy, dx);
    call(op, d, () -> vq4j_gelu_bwd(d.ctx, x.floats(), dy.floats(), dx.floats(), x.size()));
  }

  // ---------------------------------------------------------------- linear

  /** y[..., Out] = x[..., In] w[Out, In]^T + b[Out]; b may be null. */
  public static void linearForward(Tensor x, Tensor w, Tensor b, Tensor y) {
    String op = "linearForward";
    Linear g = Linear.of(op, x, w, y);
    if (b != null) {
      requireType(op, "b", b, DType.FLOAT32);
      if (b.rank() != 1 || b.dim(0) != g.out) {
        throw shapeError(op, "b must be [" + g.out + "]", b, w);
      }
    }
    Device d = device(op, x, w, b, y);
    call(op, d, () -> vq4j_linear_fwd(d.ctx, x.floats(), w.floats(), opt(b), y.floats(), g.rows, g.in, g.out));
  }

  /** dx[..., In] = dy[..., Out] w[Out, In]. */
  public static void linearBackwardData(Tensor dy, Tensor w, Tensor dx) {
    String op = "linearBackwardData";
    Linear g = Linear.of(op, dx, w, dy);
    Device d = device(op, dy, w, dx);
    call(op, d, () -> vq4j_linear_bwd_data(d.ctx, dy.floats(), w.floats(), dx.floats(), g.rows, g.in, g.out));
  }

  /** dw[Out, In] = dy^T x and db[Out] = the column sums of dy (db may be null); both overwritten. */
  public static void linearBackwardWeight(Tensor x, Tensor dy, Tensor dw, Tensor db) {
    String op = "linearBackwardWeight";
    Linear g = Linear.of(op, x, dw, dy);
    if (db != null) {
      requireType(op, "db", db, DType.FLOAT32);
      if (db.rank() != 1 || db.dim(0) != g.out) {
        throw shapeError(op, "db must be [" + g.out + "]", db, dw);
      }
    }
    Device d = device(op, x, dy, dw, db);
    call(op, d, () -> vq4j_linear_bwd_weight(d.ctx, x.floats(), dy.floats(), dw.floats(), opt(db), g.rows, g.in,
        g.out));
  }

  // ---------------------------------------------------------------- causal_attention

  /**
   * Causal multi-head attention, heads side by side in C = heads * dh: q[B, Tq, C] against the first tk rows
   * of k and v[B, R, C] (R >= tk, so a key/value cache may be longer than its filled part). Query i stands at
   * position tk - Tq + i and sees keys 0 .. that position. Writes y[B, Tq, C] and lse[B, heads, Tq] (the
   * softmax normalisers, for the backward).
   */
  public static void causalAttentionForward(Tensor q, Tensor k, Tensor v, int tk, int heads, Tensor y,
      Tensor lse) {
    String op = "causalAttentionForward";
    Attention g = Attention.of(op, q, heads, y, lse);
    sameShape(op, k, v);
    if (k.rank() != 3 || k.dim(0) != g.batch || k.dim(2) != g.c) {
      throw shapeError(op, "k and v must be [" + g.batch + ", R, " + g.c + "]", q, k);
    }
    if (tk < g.t || tk > k.dim(1)) {
      throw shapeError(op, "need Tq <= tk <= R, got tk = " + tk, q, k);
    }
    Device d = device(op, q, k, v, y, lse);
    call(op, d, () -> vq4j_causal_attention_fwd(d.ctx, q.floats(), k.floats(), v.floats(), y.floats(),
        lse.floats(), g.batch, g.t, tk, k.dim(1), heads, g.dh));
  }

  /** dq, dk, dv[B, T, C] (overwritten) from q, k, v, the forward's y and lse (Tq = tk = R = T), and dy. */
  public static void causalAttentionBackward(Tensor q, Tensor k, Tensor v, Tensor y, Tensor lse, Tensor dy,
      Tensor dq, Tensor dk, Tensor dv, int heads) {
    String op = "causalAttentionBackward";
    Attention g = Attention.of(op, q, heads, y, lse);
    sameShape(op, q, k, v, y, dy, dq, dk, dv);
    Device d = device(op, q, k, v, y, lse, dy, dq, dk, dv);
    call(op, d, () -> vq4j_causal_attention_bwd(d.ctx, q.floats(), k.floats(), v.floats(), y.floats(),
        lse.floats(), dy.floats(), dq.floats(), dk.floats(), dv.floats(), g.batch, g.t, heads, g.dh));
  }

  // ---------------------------------------------------------------- dropout

  /**
   * Inverted dropout: y = x / (1 - p) where kept, else 0, element i kept when the hash of (key, i) read as a
   * uniform in [0, 1) is >= p (the same mask on every backend). The backward is this call on dy with the same
   * key. y may be x; 0 &lt;= p &lt; 1.
   */
  public static void dropout(Tensor x, Tensor y, float p, long key) {
    String op = "dropout";
    sameShape(op, x, y);
    if (!(p >= 0 && p < 1)) {
      throw new IllegalArgumentException(op + ": p must be in [0, 1), got " + p);
    }
    Device d = device(op, x, y);
    call(op, d, () -> vq4j_dropout(d.ctx, x.floats(), y.floats(), x.size(), p, key));
  }

  // ---------------------------------------------------------------- plumbing

  /** Runs a native call on the device's context; a non-zero status becomes a Vq4jException. */
  static void call(String op, Device device, IntSupplier nativeCall) {
    synchronized (device) {
      int status = nativeCall.getAsInt();
      if (status != VQ4J_OK) {
        throw new Vq4jException(op, status, device.lastError());
      }
    }
  }

  /**
   * Waits until every op queued on the device has finished (a no-op on the CPU). On a CUDA device the ops
   * that take ids, codes or targets check them without waiting, so an index out of range is thrown here, or
   * by the next read of a tensor to the host, as a Vq4jException whose message names the op that failed.
   */
  public static void sync(Device device) {
    device.countHostSync();
    call("sync", device, () -> vq4j_sync(device.ctx));
  }

  /** Test hook: the next op on this device fails inside native code. */
  static void injectNativeFailure(Device device) {
    synchronized (device) {
      vq4j_ctx_inject_failure(device.ctx);
    }
  }

  private static FloatPointer opt(Tensor t) {
    return t == null ? null : t.floats();
  }

  /** The one device all (non-null) tensors share, after checking none is closed. */
  private static Device device(String op, Tensor... tensors) {
    Device d = null;
    for (Tensor t : tensors) {
      if (t == null) {
        continue;
      }
      if (t.isClosed()) {
        throw new IllegalStateException(op + ": tensor " + t.describe() + " is closed");
      }
      if (d == null) {
        d = t.device();
      } else if (d != t.device()) {
        throw shapeError(op, "tensors are on different devices", tensors);
      }
    }
    return d;
  }

  private static IllegalArgumentException shapeError(String op, String what, Tensor... tensors) {
    StringBuilder sb = new StringBuilder(op).append(": ").append(what).append(" (");
    for (int i = 0; i < tensors.length; i++) {
      if (tensors[i] != null) {
        sb.append(i == 0 ? "" : ", ").append(tensors[i].describe());
      }
    }
    return new IllegalArgumentException(sb.append(')').toString());
  }

  private static void requireType(String op, String name, Tensor t, DType type) {
    if (t == null) {
      throw new IllegalArgumentException(op + ": " + name + " is null");
    }
    if (t.dtype() != type) {
      throw shapeError(op, name + " must be " + type.name().toLowerCase(), t);
    }
  }

  private static void sameShape(String op, Tensor... tensors) {
    for (int i = 0; i < tensors.length; i++) {
      requireType(op, "tensor " + i, tensors[i], DType.FLOAT32);
      if (!Arrays.equals(tensors[0].shape(), tensors[i].shape())) {
        throw shapeError(op, "shapes must match", tensors);
      }
    }
  }

  private static void scalar(String op, String name, Tensor t) {
    requireType(op, name, t, DType.FLOAT32);
    if (t.size() != 1) {
      throw shapeError(op, name + " must hold one value", t);
    }
  }

  /** Vectors in t[..., C]: all but the last dimension. */
  private static int rows(Tensor t) {
    return Math.toIntExact(t.size() / t.dim(-1));
  }

  /** Checks x[..., 2C] against y[..., C] and returns C. */
  private static int gated(String op, Tensor x, Tensor y) {
    requireType(op, "x", x, DType.FLOAT32);
    requireType(op, "y", y, DType.FLOAT32);
    int[] xs = x.shape();
    int[] ys = y.shape();
    boolean ok = xs.length == ys.length && xs[xs.length - 1] == 2 * ys[ys.length - 1]
        && Arrays.equals(Arrays.copyOf(xs, xs.length - 1), Arrays.copyOf(ys, ys.length - 1));
    if (!ok) {
      throw shapeError(op, "x must be [..., 2C] and y [..., C]", x, y);
    }
    return ys[ys.length - 1];
  }

  /** Checks logits[..., K] against targets[...] and returns K. */
  private static int xent(String op, Tensor logits, Tensor targets) {
    requireType(op, "logits", logits, DType.FLOAT32);
    requireType(op, "targets", targets, DType.INT32);
    int[] ls = logits.shape();
    if (logits.size() / ls[ls.length - 1] != targets.size()) {
      throw shapeError(op, "logits must be [..., K] over targets [...]", logits, targets);
    }
    return ls[ls.length - 1];
  }

  /** Checks x[..., C] against gamma[C], mean[rows] and rstd[rows]; returns C. */
  private static int layerNorm(String op, Tensor x, Tensor gamma, Tensor mean, Tensor rstd) {
    requireType(op, "x", x, DType.FLOAT32);
    requireType(op, "gamma", gamma, DType.FLOAT32);
    int c = x.dim(-1);
    if (gamma.rank() != 1 || gamma.dim(0) != c) {
      throw shapeError(op, "gamma must be [C] with C the last dimension of x", x, gamma);
    }
    sameShape(op, mean, rstd);
    if (mean.size() != rows(x)) {
      throw shapeError(op, "mean and rstd need one value per row of x (" + rows(x) + ")", x, mean);
    }
    return c;
  }

  /** Geometry of a linear layer: x[..., In] against w[Out, In] and y[..., Out]. */
  private static final class Linear {
    int rows, in, out;

    static Linear of(String op, Tensor x, Tensor w, Tensor y) {
      requireType(op, "x", x, DType.FLOAT32);
      requireType(op, "w", w, DType.FLOAT32);
      requireType(op, "y", y, DType.FLOAT32);
      Linear g = new Linear();
      if (w.rank() != 2 || x.dim(-1) != w.dim(1) || y.dim(-1) != w.dim(0)) {
        throw shapeError(op, "need x[..., In], w[Out, In], y[..., Out]", x, w, y);
      }
      g.in = w.dim(1);
      g.out = w.dim(0);
      g.rows = rows(x);
      if (rows(y) != g.rows || x.rank() != y.rank()) {
        throw shapeError(op, "x and y must have the same leading dimensions", x, y);
      }
      return g;
    }
  }

  /** Geometry of causal attention: q[B, T, C] with C = heads * dh, y like q, lse[B, heads, T]. */
  private static final class Attention {
    int batch, t, c, dh;

    static Attention of(String op, Tensor q, int heads, Tensor y, Tensor lse) {
      sameShape(op, q, y);
      requireType(op, "lse", lse, DType.FLOAT32);
      if (q.rank() != 3) {
        throw shapeError(op, "q must be [B, T, C]", q);
      }
      Attention g = new Attention();
      g.batch = q.dim(0);
      g.t = q.dim(1);
      g.c = q.dim(2);
      if (heads < 1 || g.c % heads != 0) {
        throw shapeError(op, "C = " + g.c + " must split into " + heads + " heads", q);
      }
      g.dh = g.c / heads;
      if (!Arrays.equals(lse.shape(), new int[] {g.batch, heads, g.t})) {
        throw shapeError(op, "lse must be [" + g.batch + ", " + heads + ", " + g.t + "]", q, lse);
      }
      return g;
    }
  }

  /** Geometry of a vector-per-row op: x[..., D] against a table[K, D]. */
  private static final class Vq {
    final int rows;
    final int d;
    final int k;

    private Vq(int rows, int d, int k) {
      this.rows = rows;
      this.d = d;
      this.k = k;
    }

    static Vq of(String op, Tensor x, Tensor table) {
      requireType(op, "vectors", x, DType.FLOAT32);
      requireType(op, "table", table, DType.FLOAT32);
      if (table.rank() != 2 || table.dim(1) != x.dim(-1)) {
        throw shapeError(op, "table must be [K, D] with D the last dimension of the vectors", x, table);
      }
      return new Vq(Math.toIntExact(x.size() / x.dim(-1)), x.dim(-1), table.dim(0));
    }

    void checkCodes(String op, Tensor codes) {
      checkCodes(op, codes, rows);
    }

    static void checkCodes(String op, Tensor codes, int rows) {
      requireType(op, "codes", codes, DType.INT32);
      if (codes.size() != rows) {
        throw shapeError(op, "need one code per vector (" + rows + ")", codes);
      }
    }
  }

  /** Geometry of a convolution, read off the input and weight shapes. */
  private static final class Conv {
    int n, h, w, ci, co, kh, kw, oh, ow;

    static Conv of(String op, boolean transposed, Tensor x, Tensor wt, int stride, int pad) {
      requireType(op, "x", x, DType.FLOAT32);
      requireType(op, "w", wt, DType.FLOAT32);
      if (x.rank() != 4 || wt.rank() != 4) {
        throw shapeError(op, "x must be [N, H, W, C] and w 4-D", x, wt);
      }
      if (stride < 1 || pad < 0) {
        throw shapeError(op, "stride must be >= 1 and pad >= 0, got stride " + stride + " pad " + pad, x, wt);
      }
      Conv g = new Conv();
      g.n = x.dim(0);
      g.h = x.dim(1);
      g.w = x.dim(2);
      g.kh = wt.dim(1);
      g.kw = wt.dim(2);
      // conv2d weights are [Co, kH, kW, Ci]; transposed-conv weights [Ci, kH, kW, Co].
      g.ci = transposed ? wt.dim(0) : wt.dim(3);
      g.co = transposed ? wt.dim(3) : wt.dim(0);
      if (x.dim(3) != g.ci) {
        throw shapeError(op, "input channels " + x.dim(3) + " do not match the weight's " + g.ci, x, wt);
      }
      g.oh = outSide(transposed, g.h, g.kh, stride, pad);
      g.ow = outSide(transposed, g.w, g.kw, stride, pad);
      if (g.oh <= 0 || g.ow <= 0) {
        throw shapeError(op, "kernel " + g.kh + "x" + g.kw + " stride " + stride + " pad " + pad
            + " leaves no output", x, wt);
      }
      return g;
    }

    /** One output side in long arithmetic (a huge stride or pad must not wrap into a plausible size); 0: none. */
    private static int outSide(boolean transposed, int in, int k, int stride, long pad) {
      long side = transposed ? (in - 1L) * stride - 2 * pad + k
          : in + 2 * pad >= k ? (in + 2 * pad - k) / stride + 1 : 0;
      return side > Integer.MAX_VALUE ? -1 : (int) Math.max(side, 0);
    }

    static Conv masked(String op, Tensor x, Tensor wt) {
      Conv g = of(op, false, x, wt, 1, wt.rank() == 4 ? wt.dim(1) / 2 : 0);
      if (g.kh != g.kw || g.kh % 2 == 0) {
        throw shapeError(op, "masked convs need a square kernel of odd size", x, wt);
      }
      return g;
    }

    void checkBias(String op, Tensor b) {
      if (b != null) {
        requireType(op, "bias", b, DType.FLOAT32);
        if (b.rank() != 1 || b.dim(0) != co) {
          throw shapeError(op, "bias must be [" + co + "]", b);
        }
      }
    }

    void checkOut(String op, String name, Tensor y) {
      requireType(op, name, y, DType.FLOAT32);
      int[] want = {n, oh, ow, co};
      if (!Arrays.equals(y.shape(), want)) {
        throw new IllegalArgumentException(op + ": " + name + " must be " + Arrays.toString(want) + ", got "
            + y.describe());
      }
    }
  }
}
