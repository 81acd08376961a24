package ai.vq4j.model;

import ai.vq4j.nn.Buffers;
import ai.vq4j.nn.Conv2d;
import ai.vq4j.nn.Embedding;
import ai.vq4j.nn.GatedPixelCnnLayer;
import ai.vq4j.nn.Layer;
import ai.vq4j.nn.Parameter;
import ai.vq4j.nn.Relu;
import ai.vq4j.nn.Sequential;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A Gated PixelCNN prior over a VQ-VAE's code grid (paper sections 3.2 and 4.2): int32 codes[N, h, w] ->
 * code embedding [N, h, w, p] -> {@link GatedPixelCnnLayer}s (vertical and horizontal stacks, the first with
 * masks A) -> ReLU, 1x1 conv, ReLU, 1x1 conv -> logits[N, h, w, K]; the logits at each position are a
 * categorical distribution over the code there given every code before it in raster order (and the class
 * label, when conditioned). Trained with softmax cross-entropy at every position. Parameters are
 * initialised from {@code config.seed} in a fixed order, so the same config gives the same model.
 *
 * <p>Sampling is {@link PixelCnnSampler}'s; it evaluates this network through the crop-exact direct ops.
 */
public final class PixelCnnPrior implements Prior {
  private final PixelCnnConfig config;
  private final Device device;
  private final Embedding embedding;
  private final List<GatedPixelCnnLayer> layers = new ArrayList<>();
  private final Sequential head;
  private final Conv2d head1;
  private final Conv2d head2;
  private boolean fromCodes;
  private Tensor classIds;
  private Tensor logits;
  private Tensor dx;
  private final CodeLoss codeLoss;

  public PixelCnnPrior(PixelCnnConfig config, Device device) {
    this.config = config.copy().validate();
    this.device = device;
    this.codeLoss = new CodeLoss(device);
    Rng rng = new Rng(config.seed);
    int p = config.hidden;
    this.embedding = new Embedding("embedding", device, rng, config.numCodes, p);
    for (int i = 0; i < config.layers; i++) {
      layers.add(new GatedPixelCnnLayer("layers." + i, device, rng, p, i == 0 ? config.firstKernelSize
          : config.kernelSize, i == 0, config.numClasses));
    }
    this.head1 = new Conv2d("head.conv1", device, rng, p, config.outputHidden, 1, 1, 0);
    this.head2 = new Conv2d("head.conv2", device, rng, config.outputHidden, config.numCodes, 1, 1, 0);
    List<Layer> h = List.of(new Relu(device), head1, new Relu(device), head2);
    this.head = new Sequential(h);
  }

  @Override
  public PixelCnnConfig config() {
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

  /** Checks a code batch: int32[N, gridSize, gridSize] on this device. */
  public void checkCodes(String op, Tensor codes) {
    int s = config.gridSize;
    if (codes.rank() != 3 || codes.dim(1) != s || codes.dim(2) != s || codes.dtype() != DType.INT32) {
      throw new IllegalArgumentException(op + ": codes must be int32[N, " + s + ", " + s + "], got "
          + codes.describe());
    }
    if (codes.device() != device) {
      throw new IllegalArgumentException(op + ": codes are on " + codes.device() + ", the prior on " + device);
    }
  }

  /**
   * The class label of every position, int32[N, h, w], from labels int32[N] (null for an unconditioned prior);
   * checks that labels are given exactly when the prior is conditioned, and their range.
   */
  Tensor classIds(String op, Tensor labels, int n) {
    if (labels != null && (labels.rank() != 1 || labels.dim(0) != n || labels.dtype() != DType.INT32)) {
      throw new IllegalArgumentException(op + ": labels must be int32[" + n + "], got " + labels.describe());
    }
    return classIds(op, labels == null ? null : labels.toIntArray(), n);
  }

  /** As {@link #classIds(String, Tensor, int)} for labels in host memory: uploaded, nothing read back. */
  Tensor classIds(String op, int[] labels, int n) {
    if (!conditioned()) {
      if (labels != null) {
        throw new IllegalArgumentException(op + ": this prior is unconditioned (numClasses = 0) but labels were given");
      }
      return null;
    }
    if (labels == null) {
      throw new IllegalArgumentException(op + ": this prior is conditioned on " + config.numClasses
          + " classes: labels int32[N] are required");
    }
    if (labels.length != n) {
      throw new IllegalArgumentException(op + ": " + labels.length + " labels for " + n + " examples");
    }
    int s = config.gridSize;
    int[] ids = new int[n * s * s];
    for (int i = 0; i < n; i++) {
      if (labels[i] < 0 || labels[i] >= config.numClasses) {
        throw new IllegalArgumentException(op + ": label " + labels[i] + " of example " + i + " is outside [0, "
            + config.numClasses + ")");
      }
      java.util.Arrays.fill(ids, i * s * s, (i + 1) * s * s, labels[i]);
    }
    classIds = Buffers.ensure(classIds, device, DType.INT32, n, s, s);
    classIds.copyFrom(ids);
    return classIds;
  }

  /**
   * logits[N, h, w, K] (owned by the prior) for codes int32[N, h, w] and labels int32[N] (null when
   * unconditioned). codes must stay unchanged until {@link #backward}.
   */
  public Tensor forward(Tensor codes, Tensor labels) {
    checkCodes("forward", codes);
    return fromCodes(codes, classIds("forward", labels, codes.dim(0)));
  }

  /**
   * As {@link #forward(Tensor, Tensor)} with the labels in host memory (null when unconditioned): the
   * labels go to the device, nothing comes back, so a training step does not wait for the device.
   */
  public Tensor forwardWithHostLabels(Tensor codes, int[] labels) {
    checkCodes("forward", codes);
    return fromCodes(codes, classIds("forward", labels, codes.dim(0)));
  }

  /** The PixelCNN has no training randomness: the plain forward. */
  @Override
  public Tensor trainingForward(Tensor codes, int[] labels, long step) {
    return forwardWithHostLabels(codes, labels);
  }

  private Tensor fromCodes(Tensor codes, Tensor ids) {
    Tensor x = embedding.forward(codes);
    Tensor out = run(x, ids);
    fromCodes = true;
    return out;
  }

  /**
   * The network from an already embedded input x[N, h, w, p] (continuous; for tests of the receptive field
   * and of gradients). {@link #backward} then returns d loss / d x.
   */
  public Tensor forwardEmbedded(Tensor x, Tensor labels) {
    int s = config.gridSize;
    if (x.rank() != 4 || x.dim(1) != s || x.dim(2) != s || x.dim(3) != config.hidden || x.dtype() != DType.FLOAT32) {
      throw new IllegalArgumentException("forwardEmbedded: x must be float32[N, " + s + ", " + s + ", "
          + config.hidden + "], got " + x.describe());
    }
    Tensor out = run(x, classIds("forwardEmbedded", labels, x.dim(0)));
    fromCodes = false;
    return out;
  }

  private Tensor run(Tensor x, Tensor ids) {
    Tensor v = x;
    Tensor h = x;
    for (GatedPixelCnnLayer layer : layers) {
      layer.forward(v, h, ids);
      v = layer.v();
      h = layer.h();
    }
    logits = head.forward(h);
    return logits;
  }

  /**
   * Backpropagates dLogits[N, h, w, K] (the gradient of the loss with respect to the last forward's logits),
   * overwriting every parameter gradient. Returns the gradient with respect to the embedded input (owned by the
   * prior); after {@link #forward} from codes it has also gone into the code embedding's gradient.
   */
  public Tensor backward(Tensor dLogits) {
    Tensor dh = head.backward(dLogits);
    Tensor dv = null;
    for (int i = layers.size() - 1; i >= 0; i--) {
      GatedPixelCnnLayer layer = layers.get(i);
      layer.backward(dv, dh);
      Parameter.gradsReady(layer.parameters());
      dv = layer.dxV();
      dh = layer.dxH();
    }
    dx = Buffers.ensure(dx, device, dh.shape());
    Ops.add(dv, dh, dx);
    if (fromCodes) {
      embedding.backward(dx);
    } else {
      embedding.weight().grad().fillZero();
    }
    return dx;
  }

  /**
   * Mean softmax cross-entropy (nats per code) of the last forward's logits against codes, and its gradient
   * through the whole network (every parameter gradient overwritten). codes must be those of the forward.
   * The loss is one float32 on the device, valid until the next call: reading it waits for the device.
   */
  @Override
  public Tensor lossAndBackward(Tensor codes) {
    backward(codeLoss.meanAndGradient(logits, codes));
    return codeLoss.loss();
  }

  /**
   * The negative log-likelihood of each example's codes, in nats (summed over its h * w positions), under
   * this prior: codes int32[N, h, w], labels in host memory or null.
   */
  @Override
  public double[] nll(Tensor codes, int[] labels) {
    return codeLoss.perExample(forwardWithHostLabels(codes, labels), codes, config.gridSize * config.gridSize);
  }

  /** Adam with the L2 term (the paper's optimizer), on every parameter. */
  @Override
  public boolean decoupledWeightDecay() {
    return false;
  }

  @Override
  public boolean decays(Parameter p) {
    return true;
  }

  @Override
  public int[] sampleCodes(int n, int[] labels, Sampling sampling, long seed, boolean fast) {
    return new PixelCnnSampler(this).sampleCodes(n, labels, sampling, seed,
        fast ? PixelCnnSampler.Method.FAST : PixelCnnSampler.Method.PLAIN, null);
  }

  // ------------------------------------------------------------------ parts, for the sampler

  Embedding embedding() {
    return embedding;
  }

  List<GatedPixelCnnLayer> layers() {
    return Collections.unmodifiableList(layers);
  }

  Conv2d head1() {
    return head1;
  }

  Conv2d head2() {
    return head2;
  }

  /** Every parameter, in a fixed order with unique names: embedding, layers, head. */
  @Override
  public List<Parameter> parameters() {
    List<Parameter> out = new ArrayList<>(embedding.parameters());
    for (GatedPixelCnnLayer layer : layers) {
      out.addAll(layer.parameters());
    }
    out.addAll(head.parameters());
    return Collections.unmodifiableList(out);
  }

  @Override
  public void close() {
    embedding.close();
    layers.forEach(GatedPixelCnnLayer::close);
    head.close();
    Buffers.close(classIds, dx);
    codeLoss.close();
  }
}
