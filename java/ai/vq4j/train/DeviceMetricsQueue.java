package ai.vq4j.train;

import ai.vq4j.dist.Communicator;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-step scalars (losses, perplexity, dead codes) gathered on the device and read back in one copy when the
 * training loop chooses to look (at its log interval), so that a step queues its work and returns without
 * waiting for the device: on a GPU, reading a loss every step would stall the host until the step had run.
 * Each {@link #record} queues one device-to-device copy per scalar into the next row of a [capacity,
 * columns] buffer. A full buffer is read back then (one wait per capacity steps) and kept on the host until
 * the next {@link #drain}.
 */
final class DeviceMetricsQueue implements AutoCloseable {
  /** One recorded step: its number, the host's clock when it was queued, and its scalars. */
  record Row(long step, long queuedNanos, float[] values) {}

  private final int columns;
  private final int capacity;
  private final Tensor rows;
  private final long[] steps;
  private final long[] times;
  private final List<Row> spilled = new ArrayList<>();
  private int pending;
  private Communicator comm;

  DeviceMetricsQueue(Device device, int columns, int capacity) {
    if (columns < 1 || capacity < 1) {
      throw new IllegalArgumentException("step log needs columns >= 1 and capacity >= 1, got " + columns + ", "
          + capacity);
    }
    this.columns = columns;
    this.capacity = capacity;
    this.rows = Tensor.zeros(device, DType.FLOAT32, capacity, columns);
    this.steps = new long[capacity];
    this.times = new long[capacity];
  }

  /** Queues the copies of one step's scalars (one-element float32 tensors on the log's device). */
  void record(long step, Tensor... scalars) {
    if (scalars.length != columns) {
      throw new IllegalArgumentException("step log: " + scalars.length + " values for " + columns + " columns");
    }
    if (pending == capacity) {
      spilled.addAll(read());
    }
    for (int c = 0; c < columns; c++) {
      rows.copyElements(scalars[c], 0, (long) pending * columns + c, 1);
    }
    steps[pending] = step;
    times[pending] = System.nanoTime();
    pending++;
  }

  /**
   * From now on every read averages the recorded values across comm's ranks first, so each rank reports the
   * global batch's figures (every rank records and drains at the same steps).
   */
  void averageAcross(Communicator comm) {
    this.comm = comm;
  }

  /** Steps recorded and not yet drained. */
  int pending() {
    return spilled.size() + pending;
  }

  /** Every step recorded since the last drain, oldest first; waits for the device once (if any is queued). */
  List<Row> drain() {
    List<Row> out = new ArrayList<>(spilled);
    spilled.clear();
    out.addAll(read());
    return out;
  }

  private List<Row> read() {
    List<Row> out = new ArrayList<>(pending);
    if (pending == 0) {
      return out;
    }
    if (comm != null) {
      comm.allReduceAverage(rows);
    }
    float[] all = rows.toFloatArray();
    for (int r = 0; r < pending; r++) {
      float[] values = new float[columns];
      System.arraycopy(all, r * columns, values, 0, columns);
      out.add(new Row(steps[r], times[r], values));
    }
    pending = 0;
    return out;
  }

  @Override
  public void close() {
    rows.close();
  }
}
