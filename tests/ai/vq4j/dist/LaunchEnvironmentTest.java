package ai.vq4j.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The launchers' variables, and the error for each bad one. */
class LaunchEnvironmentTest {
  @Test
  void noVariablesMeansOneProcess() {
    assertEquals(Optional.empty(), LaunchEnvironment.from(Map.of("HOME", "/root")));
  }

  @Test
  void torchrunVariables() {
    LaunchEnvironment e = LaunchEnvironment.from(Map.of("RANK", "3", "WORLD_SIZE", "8", "LOCAL_RANK", "1",
        "MASTER_ADDR", "10.1.2.3", "MASTER_PORT", "29600")).orElseThrow();
    assertEquals(new LaunchEnvironment("torchrun-style variables", 3, 8, 1, "10.1.2.3", 29600), e);
    assertEquals("tcp://10.1.2.3:29600", e.rendezvous());
    LaunchEnvironment v6 = LaunchEnvironment.from(Map.of("RANK", "0", "WORLD_SIZE", "2", "MASTER_ADDR", "fd00::1"))
        .orElseThrow();
    assertEquals("tcp://[fd00::1]:29500", v6.rendezvous(), "torchrun's default port, IPv6 in brackets");
  }

  @Test
  void openMpiPmiAndSlurm() {
    LaunchEnvironment ompi = LaunchEnvironment.from(Map.of("OMPI_COMM_WORLD_RANK", "5", "OMPI_COMM_WORLD_SIZE", "6",
        "OMPI_COMM_WORLD_LOCAL_RANK", "2", "MASTER_ADDR", "h0")).orElseThrow();
    assertEquals(new LaunchEnvironment("Open MPI", 5, 6, 2, "h0", 29500), ompi);
    LaunchEnvironment pmi = LaunchEnvironment.from(Map.of("PMI_RANK", "1", "PMI_SIZE", "2", "MPI_LOCALRANKID", "1",
        "MASTER_ADDR", "h0")).orElseThrow();
    assertEquals(new LaunchEnvironment("PMI (MPICH, Intel MPI)", 1, 2, 1, "h0", 29500), pmi);
    LaunchEnvironment slurm = LaunchEnvironment.from(Map.of("SLURM_PROCID", "7", "SLURM_NTASKS", "8",
        "SLURM_LOCALID", "3", "SLURM_STEP_NODELIST", "gpu[03-05,07],cpu1")).orElseThrow();
    assertEquals(new LaunchEnvironment("Slurm", 7, 8, 3, "gpu03", 29500), slurm,
        "rank 0's host is the first of the node list");
    assertEquals("n1", LaunchEnvironment.firstSlurmHost(Map.of("SLURM_JOB_NODELIST", "n1,n2")));
    assertEquals("a7", LaunchEnvironment.firstSlurmHost(Map.of("SLURM_JOB_NODELIST", "a[7,9]")));
    LaunchEnvironment torchFirst = LaunchEnvironment.from(Map.of("RANK", "0", "WORLD_SIZE", "1", "SLURM_PROCID", "4",
        "SLURM_NTASKS", "9")).orElseThrow();
    assertEquals("torchrun-style variables", torchFirst.launcher(), "torchrun's variables win inside a Slurm job");
  }

  @Test
  void badValuesAreNamed() {
    assertMessage("torchrun-style variables: WORLD_SIZE is not set", Map.of("RANK", "0"));
    assertMessage("torchrun-style variables: RANK=x is not an integer", Map.of("RANK", "x", "WORLD_SIZE", "2"));
    assertMessage("torchrun-style variables: rank 2 is not in [0, world size 2)",
        Map.of("RANK", "2", "WORLD_SIZE", "2", "MASTER_ADDR", "h"));
    assertMessage("Open MPI: MASTER_ADDR is not set", Map.of("OMPI_COMM_WORLD_RANK", "0", "OMPI_COMM_WORLD_SIZE", "2"));
    assertMessage("MASTER_PORT 70000 is not in [1, 65535]",
        Map.of("RANK", "0", "WORLD_SIZE", "2", "MASTER_ADDR", "h", "MASTER_PORT", "70000"));
  }

  private static void assertMessage(String expected, Map<String, String> env) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LaunchEnvironment.from(env));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
