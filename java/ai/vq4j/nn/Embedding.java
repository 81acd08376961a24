package ai.vq4j.nn;

import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * A lookup table: int32 ids[...] -> y[..., D] = weight[ids], weight [count, D] initialised N(0, 1) as PyTorch's
 * nn.Embedding. Its input is integer, so backward fills the table's gradient and returns null.
 */
public final class Embedding implements Layer {
  private final int count;
  private final int dim;
  private final Parameter weight;
  private final Device device;
  private Tensor ids;
  private Tensor y;

  public Embedding(String name, Device device, Rng rng, int count, int dim) {
    this(name, device, rng, count, dim, 1.0);
  }

  /** A table drawn N(0, std^2) (GPT-2's embeddings: std 0.02). */
  public Embedding(String name, Device device, Rng rng, int count, int dim, double std) {
    if (count < 1 || dim < 1) {
      throw new IllegalArgumentException("embedding " + name + " needs count >= 1 and dim >= 1, got " + count
          + " and " + dim);
    }
    this.count = count;
    this.dim = dim;
    this.device = device;
    float[] init = new float[count * dim];
    for (int i = 0; i < init.length; i++) {
      init[i] = (float) (rng.nextGaussian() * std);
    }
    this.weight = new Parameter(name + ".weight", device, init, true, count, dim);
  }

  /** y[..., D] for int32 ids[...]; ids must stay unchanged until backward. */
  @Override
  public Tensor forward(Tensor ids) {
    if (ids.dtype() != DType.INT32) {
      throw new IllegalArgumentException("embedding: ids must be int32, got " + ids.describe());
    }
    this.ids = ids;
    int[] shape = Arrays.copyOf(ids.shape(), ids.rank() + 1);
    shape[ids.rank()] = dim;
    y = Buffers.ensure(y, device, shape);
    Ops.embeddingForward(weight.value(), ids, y);
    return y;
  }

  /** Overwrites the table's gradient with the sum of dy per id; returns null (ids have no gradient). */
  @Override
  public Tensor backward(Tensor dy) {
    Ops.embeddingBackward(ids, dy, weight.grad());
    return null;
  }

  public Parameter weight() {
    return weight;
  }

  public int count() {
    return count;
  }

  public int dim() {
    return dim;
  }

  @Override
  public List<Parameter> parameters() {
    return List.of(weight);
  }

  @Override
  public void setInputGradNeeded(boolean needed) {
    // Integer ids have no gradient.
  }

  @Override
  public void close() {
    Buffers.close(y);
    weight.close();
  }

  @Override
  public String toString() {
    return "Embedding(" + count + " x " + dim + ")";
  }
}
