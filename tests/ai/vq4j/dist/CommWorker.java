package ai.vq4j.dist;

import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import java.time.Duration;
import java.util.Arrays;

/**
 * One rank of {@link CommunicatorTest}, run as a child JVM with RANK, WORLD_SIZE, MASTER_ADDR and
 * MASTER_PORT set as torchrun sets them. Args: scenario, timeout in ms, and optionally a rendezvous that
 * replaces tcp://MASTER_ADDR:MASTER_PORT. Prints what it computed; a failure prints "ERROR message" and
 * exits 3.
 */
public final class CommWorker {
  private CommWorker() {}

  public static void main(String[] args) throws Exception {
    LaunchEnvironment env = LaunchEnvironment.fromSystem().orElseThrow();
    String rendezvous = args.length > 2 ? args[2] : env.rendezvous();
    Duration timeout = Duration.ofMillis(Long.parseLong(args[1]));
    try (Communicator comm = Communicator.init(Device.CPU, env.rank(), env.worldSize(), rendezvous, timeout)) {
      System.out.println("joined " + comm.rank() + " of " + comm.worldSize());
      switch (args[0]) {
        case "ops" -> ops(comm);
        case "sizes" -> sizes(comm);
        case "fault" -> fault(comm);
        case "join" -> { }
        case "rank1-fails" -> {
          if (comm.rank() == 1) {
            throw new IllegalStateException("rank 1 gives up");
          }
          Thread.sleep(Long.MAX_VALUE);
        }
        default -> throw new IllegalArgumentException("unknown scenario " + args[0]);
      }
    } catch (RuntimeException e) {
      System.out.println("ERROR " + e.getMessage());
      System.out.flush();
      System.exit(3);
    }
  }

  private static void ops(Communicator comm) {
    int r = comm.rank();
    try (Tensor sum = Tensor.of(Device.CPU, new float[] {r + 1, 10f * r, 0.5f}, 3);
        Tensor mean = Tensor.of(Device.CPU, new float[] {r, 4f * r}, 2);
        Tensor mixed = Tensor.of(Device.CPU, new float[] {r, 4f * r, r + 1, 10f * r}, 4);
        Tensor ids = Tensor.ofInts(Device.CPU, new int[] {100 * r, 100 * r + 1}, 2);
        Tensor mine = Tensor.ofInts(Device.CPU, new int[] {r, -r, 7}, 3);
        Tensor all = Tensor.zeros(Device.CPU, DType.INT32, comm.worldSize(), 3)) {
      comm.allReduceSum(sum);
      comm.allReduceAverage(mean);
      comm.allReduceMixed(mixed, 2);
      comm.broadcast(ids, comm.worldSize() - 1);
      comm.allGather(mine, all);
      comm.barrier();
      System.out.println("sum " + Arrays.toString(sum.toFloatArray()));
      System.out.println("mean " + Arrays.toString(mean.toFloatArray()));
      System.out.println("mixed " + Arrays.toString(mixed.toFloatArray()));
      System.out.println("broadcast " + Arrays.toString(ids.toIntArray()));
      System.out.println("gather " + Arrays.toString(all.toIntArray()));
    }
  }

  // Sums of lengths around and far beyond the span a two-rank sum sends at once (65,536 floats where the
  // kernel allows 256 KiB socket buffers; 48 MB is more than any socket buffer, so a sum that wrote it whole
  // from both ranks before reading would deadlock), more lengths than the backend keeps algorithms for, each
  // length again after others, and collectives of the other kind in between.
  private static void sizes(Communicator comm) {
    int w = comm.worldSize();
    int[] lengths = {1, 65_535, 65_536, 65_537, 200_000, 12_000_000, 65_537, 1, 3};
    for (int n : lengths) {
      float[] mine = new float[n];
      for (int i = 0; i < n; i++) {
        mine[i] = (comm.rank() + 1) * (i % 1000);
      }
      try (Tensor t = Tensor.of(Device.CPU, mine, n);
          Tensor ids = Tensor.ofInts(Device.CPU, new int[] {comm.rank()}, 1)) {
        comm.allReduceSum(t);
        comm.broadcast(ids, 0);
        float[] got = t.toFloatArray();
        for (int i = 0; i < n; i++) {
          float want = w * (w + 1) / 2f * (i % 1000);
          if (got[i] != want) {
            throw new IllegalStateException("length " + n + ": element " + i + " is " + got[i] + ", want " + want);
          }
        }
        System.out.println("length " + n + " ok, broadcast " + ids.toIntArray()[0]);
      }
    }
  }

  // Both ranks finish one all-reduce; then rank 1 says so and stays away (the test kills or stops it)
  // while rank 0 enters the next one.
  private static void fault(Communicator comm) throws InterruptedException {
    try (Tensor t = Tensor.of(Device.CPU, new float[] {1f}, 1)) {
      comm.allReduceSum(t);
      System.out.println("ready");
      System.out.flush();
      if (comm.rank() == 1) {
        Thread.sleep(Long.MAX_VALUE);
      }
      comm.allReduceSum(t);
      System.out.println("unexpectedly done");
    }
  }
}
