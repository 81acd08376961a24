package ai.vq4j.model;

import ai.vq4j.nn.Parameter;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import java.util.List;

/**
 * An autoregressive prior over a VQ-VAE's code grids in raster order, whatever its network ({@link
 * PixelCnnPrior}, {@link TransformerPrior}): what training, evaluation, checkpoints and sampling need of it. The
 * logits at each position are a categorical distribution over the code there given every code before it (and
 * the class label, when conditioned). Labels are in host memory, one per grid, null when unconditioned.
 */
public interface Prior extends AutoCloseable {
  PriorConfig config();

  default PriorKind kind() {
    return config().kind();
  }

  Device device();

  int numCodes();

  int gridSize();

  boolean conditioned();

  /**
   * The forward of training step {@code step} for codes int32[N, g, g] (unchanged until {@link
   * #lossAndBackward}): logits owned by the prior. Randomness in training (dropout) derives from the config's seed
   * and the step, so a resumed run draws what the uninterrupted one does.
   */
  Tensor trainingForward(Tensor codes, int[] labels, long step);

  /**
   * Mean softmax cross-entropy (nats per code) of the last forward against its codes, and its gradient through
   * the whole network (every parameter gradient overwritten); one float32 on the device.
   */
  Tensor lossAndBackward(Tensor codes);

  /** Each grid's negative log-likelihood in nats (summed over its codes), without training randomness. */
  double[] nll(Tensor codes, int[] labels);

  /**
   * How weight decay applies to this prior: AdamW's decoupled decay (true) or Adam's L2 term added to the gradient
   * (false), on the parameters {@link #decays} accepts.
   */
  boolean decoupledWeightDecay();

  boolean decays(Parameter p);

  /**
   * n sampled code grids [n * g * g] (grid by grid, row-major) in host memory, seeded. fast: the prior's
   * incremental evaluation (the PixelCNN's cached stacks, the Transformer's key/value cache); otherwise every
   * step evaluates the whole prefix again. Both give the same codes.
   */
  int[] sampleCodes(int n, int[] labels, Sampling sampling, long seed, boolean fast);

  /**
   * n samples decoded by the VQ-VAE: images [n, S, S, C] in [-0.5, 0.5] (owned by the VQ-VAE's decoder, valid
   * until its next call).
   */
  default Tensor sampleImages(VqVae vae, int n, int[] labels, Sampling sampling, long seed) {
    VqVaeConfig vc = vae.config();
    if (vc.numEmbeddings != numCodes() || vc.latentSize() != gridSize()) {
      throw new IllegalArgumentException("sampleImages: the prior models " + numCodes() + " codes on a "
          + gridSize() + "x" + gridSize() + " grid, the VQ-VAE has " + vc.numEmbeddings + " codes on "
          + vc.latentSize() + "x" + vc.latentSize());
    }
    int[] codes = sampleCodes(n, labels, sampling, seed, true);
    try (Tensor grids = Tensor.ofInts(vae.device(), codes, n, gridSize(), gridSize())) {
      return vae.decodeCodes(grids);
    }
  }

  /** Every parameter, in a fixed order with unique names. */
  List<Parameter> parameters();

  default long parameterCount() {
    return Parameter.count(parameters());
  }

  @Override
  void close();
}
