package ai.vq4j.nn;

import ai.vq4j.tensor.Tensor;
import java.util.List;

/**
 * A differentiable step of a network. {@link #forward} remembers its input (the caller keeps it alive and
 * unchanged until {@link #backward}) and returns an output the layer owns; {@link #backward} takes the
 * gradient of the loss with respect to that output, overwrites the gradients of the layer's parameters,
 * and returns the gradient with respect to the input (owned by the layer), or null when the layer was told
 * that its input needs none.
 */
public interface Layer extends AutoCloseable {
  Tensor forward(Tensor x);

  Tensor backward(Tensor dy);

  /** This layer's parameters, in a fixed order. */
  List<Parameter> parameters();

  /** Whether backward must compute the input gradient (false for the first layer over the data). */
  void setInputGradNeeded(boolean needed);

  @Override
  void close();
}
