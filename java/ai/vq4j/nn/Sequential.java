package ai.vq4j.nn;

import ai.vq4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Layers applied in order; backward runs them in reverse. */
public final class Sequential implements Layer {
  private final List<Layer> layers;

  public Sequential(List<Layer> layers) {
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("a Sequential needs at least one layer");
    }
    this.layers = List.copyOf(layers);
  }

  public List<Layer> layers() {
    return layers;
  }

  @Override
  public Tensor forward(Tensor x) {
    Tensor h = x;
    for (Layer layer : layers) {
      h = layer.forward(h);
    }
    return h;
  }

  @Override
  public Tensor backward(Tensor dy) {
    Tensor g = dy;
    for (int i = layers.size() - 1; i >= 0; i--) {
      g = layers.get(i).backward(g);
      Parameter.gradsReady(layers.get(i).parameters());
    }
    return g;
  }

  @Override
  public List<Parameter> parameters() {
    List<Parameter> out = new ArrayList<>();
    for (Layer layer : layers) {
      out.addAll(layer.parameters());
    }
    return Collections.unmodifiableList(out);
  }

  /** Only the first layer sees the input, so only it decides whether an input gradient is computed. */
  @Override
  public void setInputGradNeeded(boolean needed) {
    layers.get(0).setInputGradNeeded(needed);
  }

  @Override
  public void close() {
    for (Layer layer : layers) {
      layer.close();
    }
  }

  @Override
  public String toString() {
    return "Sequential" + layers;
  }
}
