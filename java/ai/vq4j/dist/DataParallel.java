package ai.vq4j.dist;

import ai.vq4j.nn.Parameter;
import ai.vq4j.nn.Quantizer;
import ai.vq4j.tensor.Tensor;
import ai.vq4j.train.Adam;
import java.util.List;

/**
 * Makes one rank's trainer a data-parallel replica: every rank starts from rank 0's weights, averages its
 * gradients with the others' before each Adam update (bucketed, {@link GradientBuckets}: each bucket as soon
 * as the backward has written it, while the backward goes on, on a communication thread on the CPU and on a
 * second stream on CUDA), and, with a quantizer, takes the codebook's statistics over the global batch, summed in the gradients' last
 * all-reduce ({@link Quantizer#shareBatchesWith}).
 * With equal per-rank batches, one step at world size W and batch B is one step at world size 1 and batch
 * W * B on the ranks' batches concatenated in rank order, up to the rounding of the sums.
 */
public final class DataParallel implements AutoCloseable {
  private final GradientBuckets buckets;

  private DataParallel(GradientBuckets buckets) {
    this.buckets = buckets;
  }

  /**
   * Joins a model's training to comm: broadcasts the parameters and extra state (a quantizer's EMA
   * statistics) from rank 0, and hooks the gradient averaging into adam and the global batch into the
   * quantizer (may be null). Call at the start of a run and again after a resume.
   */
  public static DataParallel join(Communicator comm, List<Parameter> parameters, List<Tensor> state, Adam adam,
      Quantizer quantizer) {
    return join(comm, parameters, state, adam, quantizer, new GradientBuckets(comm, adam.parameters()));
  }

  /** As above, averaging the gradients with these buckets (of adam's parameters, over comm). */
  public static DataParallel join(Communicator comm, List<Parameter> parameters, List<Tensor> state, Adam adam,
      Quantizer quantizer, GradientBuckets buckets) {
    for (Parameter p : parameters) {
      comm.broadcast(p.value(), 0);
    }
    for (Tensor t : state) {
      comm.broadcast(t, 0);
    }
    adam.reduceGradientsWith(buckets::average);
    if (quantizer != null) {
      quantizer.shareBatchesWith(comm, buckets::sumWithGradients);
    }
    return new DataParallel(buckets);
  }

  public GradientBuckets buckets() {
    return buckets;
  }

  @Override
  public void close() {
    buckets.close();
  }
}
