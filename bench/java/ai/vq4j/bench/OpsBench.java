package ai.vq4j.bench;

import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Mask;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Tensor;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The ops at the shapes of the "sonnet" VQ-VAE (batch 32 of 32x32x1 images, 8x8x64 latents,
 * K = 512 codes) and of a Gated PixelCNN prior over its 8x8 codes. bench/torch_ops.py times the same ops
 * and shapes in PyTorch; bench/run_cpu_ops.sh runs both and prints them side by side.
 *
 * <p>Every state ({@link Owned}) has the parameter {@code device}: {@code cpu} (the default: the CPU fast paths),
 * {@code cpu-ref} (the hand-written reference kernels) or {@code cuda} / {@code cuda:N} (the CUDA kernels;
 * {@code -p device=cuda}, see {@link BenchDevice}). On a GPU
 * every benchmark method ends with {@link Ops#sync}, so its time includes the kernels it launched, not only
 * their launch. bench/gpu/jmh_rates.py turns a JMH JSON result into GFLOP/s (convs, quantizer) and GB/s (the
 * memory-bound ops).
 *
 * <p>Every conv layer is timed in three directions (forward, backward-data, backward-weight) by three
 * benchmark methods, the layer picked by {@link ConvState#layer} from {@link Layer}. Tensors are allocated
 * once per trial and closed after it; each call overwrites its outputs (or, for the EMA update and Adam,
 * updates its state in place, which keeps the work per call the same).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public class OpsBench {
  static final int BATCH = 32;

  /** Kinds of convolution the layer table holds. */
  enum Kind { CONV, CONV_T, MASKED_B }

  /**
   * The conv layers. h and w are the input's spatial size; convT weights are [Ci, k, k, Co], the others
   * [Co, k, k, Ci]. Masked convs are stride 1 with padding k / 2.
   */
  enum Layer {
    // encoder
    enc_conv1(Kind.CONV, 32, 1, 64, 4, 2, 1),        // 32x32x1   -> 16x16x64
    enc_conv2(Kind.CONV, 16, 64, 128, 4, 2, 1),      // 16x16x64  -> 8x8x128
    enc_conv3(Kind.CONV, 8, 128, 128, 3, 1, 1),      // 8x8x128   -> 8x8x128
    res_conv3x3(Kind.CONV, 8, 128, 32, 3, 1, 1),     // residual block: 8x8x128 -> 8x8x32
    res_conv1x1(Kind.CONV, 8, 32, 128, 1, 1, 0),     // residual block: 8x8x32  -> 8x8x128
    pre_vq_conv1x1(Kind.CONV, 8, 128, 64, 1, 1, 0),  // 8x8x128 -> 8x8x64 (the latents)
    // decoder
    dec_convT1(Kind.CONV_T, 8, 128, 64, 4, 2, 1),    // 8x8x128   -> 16x16x64
    dec_convT2(Kind.CONV_T, 16, 64, 1, 4, 2, 1),     // 16x16x64  -> 32x32x1
    // PixelCNN prior
    masked_b3x3(Kind.MASKED_B, 8, 64, 128, 3, 1, 1); // 8x8x64 -> 8x8x128, mask B

    final Kind kind;
    final int hw, ci, co, k, stride, pad;

    Layer(Kind kind, int hw, int ci, int co, int k, int stride, int pad) {
      this.kind = kind;
      this.hw = hw;
      this.ci = ci;
      this.co = co;
      this.k = k;
      this.stride = stride;
      this.pad = pad;
    }

    int outHw() {
      return kind == Kind.CONV_T ? (hw - 1) * stride - 2 * pad + k : (hw + 2 * pad - k) / stride + 1;
    }
  }

  static Tensor random(Device device, SplittableRandom rng, float scale, int... shape) {
    long size = 1;
    for (int d : shape) {
      size *= d;
    }
    float[] v = new float[Math.toIntExact(size)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) ((rng.nextDouble() * 2 - 1) * scale);
    }
    return Tensor.of(device, v, shape);
  }

  static Tensor randomInts(Device device, SplittableRandom rng, int bound, int... shape) {
    long size = 1;
    for (int d : shape) {
      size *= d;
    }
    int[] v = new int[Math.toIntExact(size)];
    for (int i = 0; i < v.length; i++) {
      v[i] = rng.nextInt(bound);
    }
    return Tensor.ofInts(device, v, shape);
  }

  // ------------------------------------------------------------------ convs

  @State(Scope.Benchmark)
  public static class ConvState extends Owned {
    @Param({"enc_conv1", "enc_conv2", "enc_conv3", "res_conv3x3", "res_conv1x1", "pre_vq_conv1x1",
        "dec_convT1", "dec_convT2", "masked_b3x3"})
    public String layer;

    Layer l;
    Tensor x, w, b, y, dy, dx, dw, db;

    @Setup(Level.Trial)
    public void setup() {
      Device d = open();
      l = Layer.valueOf(layer);
      int oh = l.outHw();
      x = keep(random(d, rng, 1f, BATCH, l.hw, l.hw, l.ci));
      int[] wShape = l.kind == Kind.CONV_T ? new int[] {l.ci, l.k, l.k, l.co} : new int[] {l.co, l.k, l.k, l.ci};
      w = keep(random(d, rng, 0.1f, wShape));
      b = keep(random(d, rng, 0.1f, l.co));
      y = keep(Tensor.zeros(d, DType.FLOAT32, BATCH, oh, oh, l.co));
      dy = keep(random(d, rng, 1f, BATCH, oh, oh, l.co));
      dx = keep(Tensor.zeros(d, DType.FLOAT32, BATCH, l.hw, l.hw, l.ci));
      dw = keep(Tensor.zeros(d, DType.FLOAT32, wShape));
      db = keep(Tensor.zeros(d, DType.FLOAT32, l.co));
    }
  }

  @Benchmark
  public void convForward(ConvState s) {
    Layer l = s.l;
    switch (l.kind) {
      case CONV: Ops.conv2dForward(s.x, s.w, s.b, s.y, l.stride, l.pad); break;
      case CONV_T: Ops.convTranspose2dForward(s.x, s.w, s.b, s.y, l.stride, l.pad); break;
      default: Ops.maskedConv2dForward(s.x, s.w, s.b, s.y, Mask.B); break;
    }
    BenchDevice.finish(s.dev);
  }

  @Benchmark
  public void convBackwardData(ConvState s) {
    Layer l = s.l;
    switch (l.kind) {
      case CONV: Ops.conv2dBackwardData(s.dy, s.w, s.dx, l.stride, l.pad); break;
      case CONV_T: Ops.convTranspose2dBackwardData(s.dy, s.w, s.dx, l.stride, l.pad); break;
      default: Ops.maskedConv2dBackwardData(s.dy, s.w, s.dx, Mask.B); break;
    }
    BenchDevice.finish(s.dev);
  }

  /** dw and db together, as a training step needs them. */
  @Benchmark
  public void convBackwardWeight(ConvState s) {
    Layer l = s.l;
    switch (l.kind) {
      case CONV: Ops.conv2dBackwardWeight(s.x, s.dy, s.dw, s.db, l.stride, l.pad); break;
      case CONV_T: Ops.convTranspose2dBackwardWeight(s.x, s.dy, s.dw, s.db, l.stride, l.pad); break;
      default: Ops.maskedConv2dBackwardWeight(s.x, s.dy, s.dw, s.db, Mask.B); break;
    }
    BenchDevice.finish(s.dev);
  }

  // ------------------------------------------------------------------ quantizer

  /** rows = 32 * 8 * 8 = 2048 latents of D = 64, K = 512 codes. */
  @State(Scope.Benchmark)
  public static class VqState extends Owned {
    static final int ROWS = BATCH * 8 * 8, D = 64, K = 512;
    Tensor zE, codebook, codes, zQ, dzQ, dzE, dcodebook, emaCount, emaSum, emaCodebook, counts, sums;

    @Setup(Level.Trial)
    public void setup() {
      Device d = open();
      zE = keep(random(d, rng, 1f, BATCH, 8, 8, D));
      codebook = keep(random(d, rng, 1f, K, D));
      codes = keep(Tensor.zeros(d, DType.INT32, BATCH, 8, 8));
      zQ = keep(Tensor.zeros(d, DType.FLOAT32, BATCH, 8, 8, D));
      Ops.vqQuantizeForward(zE, codebook, codes, zQ);
      dzQ = keep(random(d, rng, 1f, BATCH, 8, 8, D));
      dzE = keep(Tensor.zeros(d, DType.FLOAT32, BATCH, 8, 8, D));
      dcodebook = keep(Tensor.zeros(d, DType.FLOAT32, K, D));
      float[] ones = new float[K];
      java.util.Arrays.fill(ones, 1f);
      emaCount = keep(Tensor.of(d, ones, K));
      emaSum = keep(Tensor.zeros(d, DType.FLOAT32, K, D));
      emaSum.copyFrom(codebook);
      emaCodebook = keep(Tensor.zeros(d, DType.FLOAT32, K, D));
      emaCodebook.copyFrom(codebook);
      counts = keep(Tensor.zeros(d, DType.FLOAT32, K));
      sums = keep(Tensor.zeros(d, DType.FLOAT32, K, D));
    }
  }

  @Benchmark
  public void vqQuantizeForward(VqState s) {
    Ops.vqQuantizeForward(s.zE, s.codebook, s.codes, s.zQ);
    BenchDevice.finish(s.dev);
  }

  /** dzE (straight-through + commitment, beta 0.25) and dcodebook (weight 1). */
  @Benchmark
  public void vqQuantizeBackward(VqState s) {
    Ops.vqQuantizeBackward(s.zE, s.zQ, s.codes, s.dzQ, s.dzE, s.dcodebook, 0.25f, 1f);
    BenchDevice.finish(s.dev);
  }

  /** The whole EMA step from z_e and its codes (the per-code sums, then the update), as PyTorch's peer does it. */
  @Benchmark
  public void vqEmaUpdate(VqState s) {
    Ops.vqCodeSums(s.codes, s.zE, s.counts, s.sums);
    Ops.vqEmaUpdate(s.counts, s.sums, s.emaCount, s.emaSum, s.emaCodebook, 0.99f, 1e-5f);
    BenchDevice.finish(s.dev);
  }

  // ------------------------------------------------------------------ gated activation

  /** x[32, 8, 8, 256] -> y[32, 8, 8, 128]. */
  @State(Scope.Benchmark)
  public static class GatedState extends Owned {
    Tensor x, y, dy, dx;

    @Setup(Level.Trial)
    public void setup() {
      Device d = open();
      x = keep(random(d, rng, 2f, BATCH, 8, 8, 256));
      y = keep(Tensor.zeros(d, DType.FLOAT32, BATCH, 8, 8, 128));
      dy = keep(random(d, rng, 1f, BATCH, 8, 8, 128));
      dx = keep(Tensor.zeros(d, DType.FLOAT32, BATCH, 8, 8, 256));
    }
  }

  @Benchmark
  public void gatedActivationForward(GatedState s) {
    Ops.gatedActivationForward(s.x, s.y);
    BenchDevice.finish(s.dev);
  }

  @Benchmark
  public void gatedActivationBackward(GatedState s) {
    Ops.gatedActivationBackward(s.x, s.dy, s.dx);
    BenchDevice.finish(s.dev);
  }

  // ------------------------------------------------------------------ softmax cross-entropy

  /** logits[2048, 512] (the prior's 32 x 8 x 8 positions over K = 512 codes), int32 targets[2048]. */
  @State(Scope.Benchmark)
  public static class XentState extends Owned {
    Tensor logits, targets, loss, nll, dlogits;

    @Setup(Level.Trial)
    public void setup() {
      Device d = open();
      logits = keep(random(d, rng, 4f, 2048, 512));
      targets = keep(randomInts(d, rng, 512, 2048));
      loss = keep(Tensor.zeros(d, DType.FLOAT32, 1));
      nll = keep(Tensor.zeros(d, DType.FLOAT32, 2048));
      dlogits = keep(Tensor.zeros(d, DType.FLOAT32, 2048, 512));
    }
  }

  @Benchmark
  public void softmaxXentForward(XentState s) {
    Ops.softmaxXentForward(s.logits, s.targets, s.loss, null);
    BenchDevice.finish(s.dev);
  }

  @Benchmark
  public void softmaxXentBackward(XentState s) {
    Ops.softmaxXentBackward(s.logits, s.targets, s.dlogits, 1f);
    BenchDevice.finish(s.dev);
  }

  /** Forward then backward, as one training step calls them. */
  @Benchmark
  public void softmaxXentForwardBackward(XentState s) {
    Ops.softmaxXentForward(s.logits, s.targets, s.loss, null);
    Ops.softmaxXentBackward(s.logits, s.targets, s.dlogits, 1f);
    BenchDevice.finish(s.dev);
  }

  // ------------------------------------------------------------------ adam

  /** 700,000 parameters (about the VQ-VAE's size), one flat tensor. */
  @State(Scope.Benchmark)
  public static class AdamState extends Owned {
    static final int PARAMS = 700_000;
    Tensor param, grad, m, v;
    int t;

    @Setup(Level.Trial)
    public void setup() {
      Device d = open();
      param = keep(random(d, rng, 0.1f, PARAMS));
      grad = keep(random(d, rng, 0.01f, PARAMS));
      m = keep(Tensor.zeros(d, DType.FLOAT32, PARAMS));
      v = keep(Tensor.zeros(d, DType.FLOAT32, PARAMS));
      t = 0;
    }
  }

  @Benchmark
  public void adamStep(AdamState s) {
    // t grows as in training (it only changes the bias corrections, computed once per call).
    Ops.adamStep(s.param, s.grad, s.m, s.v, 2e-4, 0.9, 0.999, 1e-8, 0.0, ++s.t, false);
    BenchDevice.finish(s.dev);
  }
}
