package ai.vq4j.dist;

import java.util.Map;
import java.util.Optional;

/**
 * Where this process stands in a data-parallel job, read from the variables the usual launchers set:
 * torchrun ({@code RANK}, {@code WORLD_SIZE}, {@code LOCAL_RANK}, {@code MASTER_ADDR}, {@code MASTER_PORT}),
 * Open MPI ({@code OMPI_COMM_WORLD_RANK}, {@code _SIZE}, {@code _LOCAL_RANK}), MPICH/Intel MPI
 * ({@code PMI_RANK}, {@code PMI_SIZE}, {@code MPI_LOCALRANKID}) and Slurm ({@code SLURM_PROCID},
 * {@code SLURM_NTASKS}, {@code SLURM_LOCALID}), in that order of precedence. The rendezvous is always
 * {@code tcp://MASTER_ADDR:MASTER_PORT} (rank 0 serves it; port 29500 unless set, as torchrun); under Slurm
 * without MASTER_ADDR, the first host of the step's node list, where Slurm places rank 0. Each rank uses
 * CUDA device {@code localRank}.
 */
public record LaunchEnvironment(String launcher, int rank, int worldSize, int localRank, String masterAddr,
    int masterPort) {
  /** torchrun's default. */
  public static final int DEFAULT_MASTER_PORT = 29500;

  public LaunchEnvironment {
    if (worldSize < 1 || rank < 0 || rank >= worldSize) {
      throw new IllegalArgumentException(launcher + ": rank " + rank + " is not in [0, world size "
          + worldSize + ")");
    }
    if (localRank < 0) {
      throw new IllegalArgumentException(launcher + ": local rank " + localRank + " is negative");
    }
    if (masterPort < 1 || masterPort > 65535) {
      throw new IllegalArgumentException(launcher + ": MASTER_PORT " + masterPort + " is not in [1, 65535]");
    }
  }

  /** The rendezvous for {@link Communicator#init(ai.vq4j.tensor.Device, int, int, String, java.time.Duration)}. */
  public String rendezvous() {
    String host = masterAddr.contains(":") ? "[" + masterAddr + "]" : masterAddr;
    return "tcp://" + host + ":" + masterPort;
  }

  /** The launch this process's environment describes; empty for a plain single process. */
  public static Optional<LaunchEnvironment> fromSystem() {
    return from(System.getenv());
  }

  /** As {@link #fromSystem()}, from the given variables; bad values are an IllegalArgumentException naming them. */
  public static Optional<LaunchEnvironment> from(Map<String, String> env) {
    if (env.containsKey("RANK") || env.containsKey("WORLD_SIZE")) {
      return Optional.of(of(env, "torchrun-style variables", "RANK", "WORLD_SIZE", "LOCAL_RANK"));
    }
    if (env.containsKey("OMPI_COMM_WORLD_RANK")) {
      return Optional.of(of(env, "Open MPI", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE",
          "OMPI_COMM_WORLD_LOCAL_RANK"));
    }
    if (env.containsKey("PMI_RANK")) {
      return Optional.of(of(env, "PMI (MPICH, Intel MPI)", "PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID"));
    }
    if (env.containsKey("SLURM_PROCID") && env.containsKey("SLURM_NTASKS")) {
      return Optional.of(of(env, "Slurm", "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID"));
    }
    return Optional.empty();
  }

  private static LaunchEnvironment of(Map<String, String> env, String launcher, String rankVar, String sizeVar,
      String localVar) {
    int rank = required(env, launcher, rankVar);
    int worldSize = required(env, launcher, sizeVar);
    // Without a local rank the launcher put one rank per machine (or the user pins devices otherwise).
    int localRank = env.containsKey(localVar) ? integer(env, launcher, localVar) : 0;
    int port = env.containsKey("MASTER_PORT") ? integer(env, launcher, "MASTER_PORT") : DEFAULT_MASTER_PORT;
    String master = env.get("MASTER_ADDR");
    if ((master == null || master.isBlank()) && launcher.equals("Slurm")) {
      master = firstSlurmHost(env);
    }
    if (master == null || master.isBlank()) {
      if (worldSize > 1) {
        throw new IllegalArgumentException(launcher + ": MASTER_ADDR is not set: export the address of the "
            + "machine that runs rank 0 (and MASTER_PORT, default " + DEFAULT_MASTER_PORT + ")");
      }
      master = "127.0.0.1";
    }
    return new LaunchEnvironment(launcher, rank, worldSize, localRank, master.strip(), port);
  }

  private static int required(Map<String, String> env, String launcher, String name) {
    if (!env.containsKey(name)) {
      throw new IllegalArgumentException(launcher + ": " + name + " is not set");
    }
    return integer(env, launcher, name);
  }

  private static int integer(Map<String, String> env, String launcher, String name) {
    String value = env.get(name);
    try {
      return Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(launcher + ": " + name + "=" + value + " is not an integer");
    }
  }

  /**
   * The first host of SLURM_STEP_NODELIST (or SLURM_JOB_NODELIST), in Slurm's compressed form:
   * "gpu[03-05,07],cpu1" gives "gpu03".
   */
  static String firstSlurmHost(Map<String, String> env) {
    String list = env.getOrDefault("SLURM_STEP_NODELIST", env.get("SLURM_JOB_NODELIST"));
    if (list == null || list.isBlank()) {
      return null;
    }
    int bracket = list.indexOf('[');
    int comma = list.indexOf(',');
    if (bracket < 0 || (comma >= 0 && comma < bracket)) {
      return comma < 0 ? list : list.substring(0, comma);
    }
    String range = list.substring(bracket + 1, list.indexOf(']', bracket));
    String first = range.split("[,-]", 2)[0];
    return list.substring(0, bracket) + first;
  }
}
