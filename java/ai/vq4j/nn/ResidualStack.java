package ai.vq4j.nn;

import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The VQ-VAE residual stack: blocks of x + conv1x1(relu(conv3x3(relu(x)))) with a narrower hidden width
 * (paper section 4.1; Sonnet's ResidualStack), optionally followed by a ReLU (Sonnet has one, the paper's
 * description does not).
 */
public final class ResidualStack implements Layer {
  private final List<Block> blocks = new ArrayList<>();
  private final Relu finalRelu;

  public ResidualStack(String name, Device device, Rng rng, int channels, int hidden, int count,
      boolean finalRelu) {
    for (int i = 0; i < count; i++) {
      blocks.add(new Block(name + "." + i, device, rng, channels, hidden));
    }
    this.finalRelu = finalRelu ? new Relu(device) : null;
  }

  @Override
  public Tensor forward(Tensor x) {
    Tensor h = x;
    for (Block b : blocks) {
      h = b.forward(h);
    }
    return finalRelu == null ? h : finalRelu.forward(h);
  }

  @Override
  public Tensor backward(Tensor dy) {
    Tensor g = finalRelu == null ? dy : finalRelu.backward(dy);
    for (int i = blocks.size() - 1; i >= 0; i--) {
      g = blocks.get(i).backward(g);
    }
    return g;
  }

  @Override
  public List<Parameter> parameters() {
    List<Parameter> out = new ArrayList<>();
    for (Block b : blocks) {
      out.addAll(b.parameters());
    }
    return Collections.unmodifiableList(out);
  }

  @Override
  public void setInputGradNeeded(boolean needed) {
    // The skip connection carries the input gradient whatever the branch needs.
  }

  @Override
  public void close() {
    blocks.forEach(Block::close);
    if (finalRelu != null) {
      finalRelu.close();
    }
  }

  /** One residual block: y = x + branch(x). */
  private static final class Block implements AutoCloseable {
    private final Sequential branch;
    private final Device device;
    private Tensor y;
    private Tensor dx;

    Block(String name, Device device, Rng rng, int channels, int hidden) {
      this.device = device;
      this.branch = new Sequential(List.of(
          new Relu(device),
          new Conv2d(name + ".conv3", device, rng, channels, hidden, 3, 1, 1),
          new Relu(device),
          new Conv2d(name + ".conv1", device, rng, hidden, channels, 1, 1, 0)));
    }

    Tensor forward(Tensor x) {
      Tensor h = branch.forward(x);
      y = Buffers.ensure(y, device, x.shape());
      Ops.add(x, h, y);
      return y;
    }

    Tensor backward(Tensor dy) {
      Tensor dBranch = branch.backward(dy);
      dx = Buffers.ensure(dx, device, dy.shape());
      Ops.add(dy, dBranch, dx);
      return dx;
    }

    List<Parameter> parameters() {
      return branch.parameters();
    }

    @Override
    public void close() {
      branch.close();
      Buffers.close(y, dx);
    }
  }
}
