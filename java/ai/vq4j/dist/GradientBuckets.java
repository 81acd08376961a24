package ai.vq4j.dist;

import ai.vq4j.nn.Parameter;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Averages the gradients of a list of parameters across ranks in a few large all-reduces instead of one per
 * parameter (a sonnet VQ-VAE has 30): consecutive gradients are packed into flat buckets of about
 * {@link #BUCKET_FLOATS} floats (a larger gradient gets a bucket of its own), each bucket is all-reduced,
 * and the averages are copied back. The buckets are allocated once.
 */
public final class GradientBuckets implements AutoCloseable {
  /** 4 MiB of float32: large enough to amortise a collective's latency, small enough to pipeline. */
  public static final int BUCKET_FLOATS = 1 << 20;

  private final Communicator comm;
  private final List<List<Parameter>> members = new ArrayList<>();
  private final List<Tensor> flats = new ArrayList<>();

  public GradientBuckets(Communicator comm, List<Parameter> parameters) {
    this.comm = comm;
    List<Parameter> current = new ArrayList<>();
    long size = 0;
    for (Parameter p : parameters) {
      if (!p.trainable()) {
        continue;
      }
      long n = p.grad().size();
      if (!current.isEmpty() && size + n > BUCKET_FLOATS) {
        add(current, size);
        current = new ArrayList<>();
        size = 0;
      }
      current.add(p);
      size += n;
    }
    if (!current.isEmpty()) {
      add(current, size);
    }
  }

  private void add(List<Parameter> bucket, long size) {
    members.add(bucket);
    // A lone gradient is all-reduced where it lies.
    flats.add(bucket.size() == 1 ? null : Tensor.zeros(comm.device(), DType.FLOAT32, Math.toIntExact(size)));
  }

  /** Every rank's gradients become the mean of all ranks' gradients. */
  public void average() {
    for (int b = 0; b < flats.size(); b++) {
      Tensor flat = flats.get(b);
      List<Parameter> bucket = members.get(b);
      if (flat == null) {
        comm.allReduceAverage(bucket.get(0).grad());
        continue;
      }
      long at = 0;
      for (Parameter p : bucket) {
        flat.copyElements(p.grad(), 0, at, p.grad().size());
        at += p.grad().size();
      }
      comm.allReduceAverage(flat);
      at = 0;
      for (Parameter p : bucket) {
        p.grad().copyElements(flat, at, 0, p.grad().size());
        at += p.grad().size();
      }
    }
  }

  /** How many all-reduces one {@link #average} makes. */
  public int bucketCount() {
    return flats.size();
  }

  @Override
  public void close() {
    flats.stream().filter(t -> t != null).forEach(Tensor::close);
  }
}
