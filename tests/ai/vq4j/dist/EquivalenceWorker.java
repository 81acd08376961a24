package ai.vq4j.dist;

import ai.vq4j.model.PixelCnnConfig;
import ai.vq4j.model.PixelCnnPrior;
import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.nn.Parameter;
import ai.vq4j.nn.Quantizer;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Rng;
import ai.vq4j.tensor.Tensor;
import ai.vq4j.train.Adam;
import ai.vq4j.train.PriorTrainer;
import ai.vq4j.train.VqVaeTrainer;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One step of a tiny model on its part of a fixed global batch of {@link #GLOBAL} examples, for {@link
 * DataParallelEquivalenceTest}: as world size 1 (the whole batch) in the test's JVM, or as a rank of a
 * world of 2 (its half, rank 0 the first) in a child JVM launched with torchrun's variables. The state after
 * the step (parameters, Adam moments, codebook statistics, restarts) is written to a file.
 * Args: model (plain, ema, prior; or overlap, see {@link #overlapSteps}), output file, and "cuda-gloo" to
 * train on GPU 0 over Gloo through host copies (the ranks share the GPU).
 */
public final class EquivalenceWorker {
  static final int GLOBAL = 8;

  private EquivalenceWorker() {}

  public static void main(String[] args) throws Exception {
    LaunchEnvironment env = LaunchEnvironment.fromSystem().orElseThrow();
    boolean gpu = args.length > 2 && args[2].equals("cuda-gloo");
    try (Communicator comm = Communicator.init(env, gpu ? Device.cuda(0) : Device.CPU, Communicator.Backend.GLOO,
        Duration.ofSeconds(60))) {
      write(step(args[0], comm, comm.device()), Path.of(args[1]));
    }
  }

  /** comm null: world size 1; on the device (comm's, if any). */
  static Map<String, float[]> step(String model, Communicator comm, Device device) {
    int ranks = comm == null ? 1 : comm.worldSize();
    int rank = comm == null ? 0 : comm.rank();
    int local = GLOBAL / ranks;
    return switch (model) {
      case "prior" -> priorStep(device, comm, rank, local);
      case "overlap" -> overlapSteps(device, comm, rank, local);
      default -> vqVaeStep(device, model.equals("ema"), comm, rank, local);
    };
  }

  private static float[] batch(int rank, int local) {
    Rng rng = new Rng(99);
    float[] all = new float[GLOBAL * 64];
    for (int i = 0; i < all.length; i++) {
      all[i] = (float) (rng.nextDouble() - 0.5);
    }
    return Arrays.copyOfRange(all, rank * local * 64, (rank + 1) * local * 64);
  }

  /**
   * Three steps of the plain VQ-VAE with 256-float buckets, for each {@link GradientBuckets.Overlap} (its
   * name, lower case, before each key: "none.*" averaged after the backward, "thread.*" during it on the
   * communication thread, "stream.*" started during it, as on a CUDA stream); "*.buckets" = [bucket count,
   * buckets sent during the backward].
   */
  private static Map<String, float[]> overlapSteps(Device device, Communicator comm, int rank, int local) {
    Map<String, float[]> out = new LinkedHashMap<>();
    for (GradientBuckets.Overlap overlap : GradientBuckets.Overlap.values()) {
      if (overlap == GradientBuckets.Overlap.THREAD && !device.isCpu()) {
        continue;
      }
      String prefix = overlap.name().toLowerCase(java.util.Locale.ROOT) + ".";
      try (VqVae model = new VqVae(vqVaeConfig(false), device);
          VqVaeTrainer trainer = new VqVaeTrainer(model, 1e-3, 0, 0.08, 5);
          Tensor x = Tensor.of(device, batch(rank, local), local, 8, 8, 1)) {
        Quantizer q = model.quantizer();
        GradientBuckets buckets = new GradientBuckets(comm, trainer.optimizer().parameters(), 256, overlap);
        try (DataParallel dp = DataParallel.join(comm, model.parameters(), q.stateTensors(), trainer.optimizer(), q,
            buckets)) {
          for (int s = 0; s < 3; s++) {
            trainer.step(x);
          }
          state(model.parameters(), trainer.optimizer()).forEach((k, v) -> out.put(prefix + k, v));
          out.put(prefix + "buckets", new float[] {buckets.bucketCount(), buckets.sentDuringBackward()});
        }
      }
    }
    return out;
  }

  static VqVaeConfig vqVaeConfig(boolean ema) {
    VqVaeConfig c = new VqVaeConfig();
    c.imageSize = 8;
    c.hidden = 8;
    c.residualHidden = 4;
    c.residualBlocks = 1;
    c.embeddingDim = 4;
    c.numEmbeddings = 24;
    // Codes used fewer than 3 times in the first step (of 32 vectors) are dead, so the step restarts some.
    c.deadCodeThreshold = 1.02f;
    c.ema = ema;
    c.seed = 7;
    return c;
  }

  private static Map<String, float[]> vqVaeStep(Device device, boolean ema, Communicator comm, int rank,
      int local) {
    float[] mine = batch(rank, local);
    try (VqVae model = new VqVae(vqVaeConfig(ema), device);
        VqVaeTrainer trainer = new VqVaeTrainer(model, 1e-3, 0, 0.08, 5);
        Tensor x = Tensor.of(device, mine, local, 8, 8, 1);
        DataParallel dp = comm == null ? null : trainer.joinDataParallel(comm)) {
      float loss = (float) trainer.step(x).loss();  // reduced over the ranks: the global batch's
      Quantizer q = model.quantizer();
      Map<String, float[]> out = state(model.parameters(), trainer.optimizer());
      out.put("loss", new float[] {loss});
      for (int i = 0; i < q.stateTensors().size(); i++) {
        out.put(q.stateNames().get(i), q.stateTensors().get(i).toFloatArray());
      }
      out.put("usage", q.usage());
      out.put("counts", q.counts().toFloatArray());
      out.put("perplexity", q.perplexity().toFloatArray());
      out.put("dead", q.deadCodeCount().toFloatArray());
      int[] restarted = q.restartedMask().toIntArray();
      float[] mask = new float[restarted.length];
      for (int i = 0; i < mask.length; i++) {
        mask[i] = restarted[i];
      }
      out.put("restarted", mask);
      return out;
    }
  }

  private static Map<String, float[]> priorStep(Device device, Communicator comm, int rank, int local) {
    PixelCnnConfig c = new PixelCnnConfig();
    c.numCodes = 9;
    c.gridSize = 4;
    c.hidden = 6;
    c.layers = 3;
    c.kernelSize = 3;
    c.firstKernelSize = 3;
    c.outputHidden = 12;
    c.numClasses = 3;
    c.seed = 12;
    Rng rng = new Rng(5);
    int[] codes = new int[GLOBAL * 16];
    int[] labels = new int[GLOBAL];
    for (int i = 0; i < codes.length; i++) {
      codes[i] = (int) ((rng.nextLong() >>> 1) % 9) / (1 + i % 3);
    }
    for (int i = 0; i < GLOBAL; i++) {
      labels[i] = i % 3;
    }
    try (PixelCnnPrior prior = new PixelCnnPrior(c, device);
        PriorTrainer trainer = new PriorTrainer(prior, 1e-3, 0, 4);
        Tensor x = Tensor.ofInts(device, Arrays.copyOfRange(codes, rank * local * 16, (rank + 1) * local * 16),
            local, 4, 4);
        Tensor y = Tensor.ofInts(device, Arrays.copyOfRange(labels, rank * local, (rank + 1) * local), local);
        DataParallel dp = comm == null ? null : trainer.joinDataParallel(comm)) {
      float loss = (float) trainer.step(x, y).loss();
      Map<String, float[]> out = state(prior.parameters(), trainer.optimizer());
      out.put("loss", new float[] {loss});
      return out;
    }
  }

  private static Map<String, float[]> state(java.util.List<Parameter> parameters, Adam adam) {
    Map<String, float[]> out = new LinkedHashMap<>();
    for (Parameter p : parameters) {
      out.put(p.name(), p.value().toFloatArray());
    }
    for (Parameter p : adam.parameters()) {
      out.put(p.name() + ".adam_m", adam.firstMoment(p).toFloatArray());
      out.put(p.name() + ".adam_v", adam.secondMoment(p).toFloatArray());
    }
    return out;
  }

  static void write(Map<String, float[]> state, Path file) throws IOException {
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(file))) {
      out.writeInt(state.size());
      for (Map.Entry<String, float[]> e : state.entrySet()) {
        out.writeUTF(e.getKey());
        out.writeInt(e.getValue().length);
        for (float v : e.getValue()) {
          out.writeFloat(v);
        }
      }
    }
  }

  static Map<String, float[]> read(Path file) throws IOException {
    Map<String, float[]> state = new LinkedHashMap<>();
    try (java.io.DataInputStream in = new java.io.DataInputStream(Files.newInputStream(file))) {
      int n = in.readInt();
      for (int i = 0; i < n; i++) {
        String name = in.readUTF();
        float[] v = new float[in.readInt()];
        for (int j = 0; j < v.length; j++) {
          v[j] = in.readFloat();
        }
        state.put(name, v);
      }
    }
    return state;
  }
}
