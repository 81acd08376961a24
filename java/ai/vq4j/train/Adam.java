package ai.vq4j.train;

import ai.vq4j.nn.Parameter;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Predicate;

/**
 * PyTorch's Adam (L2 weight decay added to the gradient) or AdamW (decoupled weight decay: the parameter
 * shrinks by lr * weight decay, the gradient is untouched) over the trainable parameters, with first and
 * second moments in native memory beside them. The step count t and the moments are the whole state.
 */
public final class Adam implements AutoCloseable {
  private final List<Parameter> params = new ArrayList<>();
  private final List<Tensor> m = new ArrayList<>();
  private final List<Tensor> v = new ArrayList<>();
  /** Per trained parameter: whether weight decay applies to it. */
  private final List<Boolean> decays = new ArrayList<>();
  private double lr;
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private final boolean decoupled;
  private int t;
  private Runnable gradientReduction;

  public Adam(List<Parameter> parameters, double lr, double beta1, double beta2, double eps, double weightDecay) {
    this(parameters, lr, beta1, beta2, eps, weightDecay, false);
  }

  /** decoupled: AdamW's weight decay instead of Adam's L2 term. */
  public Adam(List<Parameter> parameters, double lr, double beta1, double beta2, double eps, double weightDecay,
      boolean decoupled) {
    this(parameters, lr, beta1, beta2, eps, weightDecay, decoupled, p -> true);
  }

  /**
   * decayed: the parameters weight decay applies to (GPT-style AdamW leaves biases, norms and embeddings out);
   * the others are updated with none.
   */
  public Adam(List<Parameter> parameters, double lr, double beta1, double beta2, double eps, double weightDecay,
      boolean decoupled, Predicate<Parameter> decayed) {
    if (!(lr > 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || !(weightDecay >= 0)) {
      throw new IllegalArgumentException(String.format("Adam: need lr > 0, 0 <= betas < 1, eps > 0, weight decay >= 0;"
          + " got lr %g, betas (%g, %g), eps %g, weight decay %g", lr, beta1, beta2, eps, weightDecay));
    }
    for (Parameter p : parameters) {
      if (p.trainable()) {
        params.add(p);
        decays.add(decayed.test(p));
        m.add(Tensor.zeros(p.value().device(), DType.FLOAT32, p.shape()));
        v.add(Tensor.zeros(p.value().device(), DType.FLOAT32, p.shape()));
      }
    }
    this.lr = lr;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.decoupled = decoupled;
  }

  public Adam(List<Parameter> parameters, double lr) {
    this(parameters, lr, 0.9, 0.999, 1e-8, 0);
  }

  /**
   * Runs reduction before each update, once the gradients are complete: data-parallel training averages
   * them across ranks there ({@link ai.vq4j.dist.DataParallel}).
   */
  public void reduceGradientsWith(Runnable reduction) {
    this.gradientReduction = reduction;
  }

  /** One update of every parameter from its current gradient. */
  public void step() {
    if (gradientReduction != null) {
      gradientReduction.run();
    }
    t++;
    for (int i = 0; i < params.size(); i++) {
      Parameter p = params.get(i);
      Ops.adamStep(p.value(), p.grad(), m.get(i), v.get(i), lr, beta1, beta2, eps, decays.get(i) ? weightDecay : 0,
          t, decoupled);
    }
  }

  /** Zeroes the moments of the rows of a [R, W] parameter where mask int32[R] is non-zero (restarted codes). */
  public void resetRows(Parameter p, Tensor mask) {
    int i = params.indexOf(p);
    if (i < 0) {
      return;
    }
    Ops.adamResetRows(m.get(i), v.get(i), mask);
  }


  public int steps() {
    return t;
  }

  public void restoreSteps(int steps) {
    if (steps < 0) {
      throw new IllegalArgumentException("Adam step count must be >= 0, got " + steps);
    }
    t = steps;
  }

  public double learningRate() {
    return lr;
  }

  /** The rate of the following steps (a {@link LearningRateSchedule} sets it before each). */
  public void setLearningRate(double rate) {
    if (!(rate > 0) || Double.isInfinite(rate)) {
      throw new IllegalArgumentException("Adam: learning rate must be finite and > 0, got " + rate);
    }
    this.lr = rate;
  }

  public List<Parameter> parameters() {
    return Collections.unmodifiableList(params);
  }

  public Tensor firstMoment(Parameter p) {
    return m.get(indexOf(p));
  }

  public Tensor secondMoment(Parameter p) {
    return v.get(indexOf(p));
  }

  private int indexOf(Parameter p) {
    int i = params.indexOf(p);
    if (i < 0) {
      throw new IllegalArgumentException("Adam does not train parameter " + p.name());
    }
    return i;
  }

  @Override
  public void close() {
    m.forEach(Tensor::close);
    v.forEach(Tensor::close);
  }
}
