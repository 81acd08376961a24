package ai.vq4j.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Vq4jException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Data-parallel training is large-batch training: one step of 2 ranks (child JVMs over Gloo on loopback)
 * at batch B equals one step of 1 process at batch 2B on the same examples, for the VQ-VAE with either
 * quantizer and for the prior: parameters after Adam, Adam's moments, the EMA codebook statistics, usage,
 * counts and dead-code restarts. Tolerance: 2e-5 absolute plus 1e-4 relative, for the different summation
 * orders of the split batch (measured differences are far smaller; a wrong reduction, such as a sum instead
 * of a mean, or local codebook statistics, is off by orders more). The two ranks agree bit for bit, and
 * averaging the gradients during the backward changes no bit.
 */
class DataParallelEquivalenceTest {
  @TempDir
  Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"plain", "ema", "prior"})
  void twoRanksAtBatchBEqualOneRankAtBatch2B(String model) throws Exception {
    Map<String, float[]> single = EquivalenceWorker.step(model, null, Device.CPU);
    twoRanks(model);
    double worst = assertClose(single, "2 ranks");
    if (!model.equals("prior")) {
      float restarted = 0;
      for (float v : single.get("restarted")) {
        restarted += v;
      }
      assertTrue(restarted > 0, "the step restarted no dead code, so restarts went untested");
    }
    System.out.printf("%s: largest difference 2 ranks vs 1: %.3g%n", model, worst);
  }

  /**
   * On GPU 0 (skipped without one), the EMA VQ-VAE's step: NCCL at world size 1 (the lent machines have one
   * GPU), and 2 ranks sharing the GPU over Gloo through host copies (NCCL refuses two ranks on one GPU), each
   * equal to the step of 1 process at the global batch on the GPU. Without NCCL (the emulated device) the NCCL
   * part is skipped, saying so, after the Gloo part has run.
   */
  @Test
  void onTheGpuNcclAtWorldSizeOneAndTwoRanksOverGloo() throws Exception {
    assumeTrue(Device.cudaDeviceCount() > 0, "no CUDA device");
    Device gpu = Device.cuda(0);
    Map<String, float[]> single = EquivalenceWorker.step("ema", null, gpu);
    twoRanks("ema", "cuda-gloo");
    System.out.printf("2 ranks over Gloo on %s: largest difference %.3g%n", gpu,
        assertClose(single, "2 ranks over Gloo on one GPU"));
    Map<String, float[]> nccl;
    try (Communicator comm = Communicator.init(gpu, 0, 1, "file://" + dir.resolve("nccl"), Duration.ofSeconds(60))) {
      nccl = EquivalenceWorker.step("ema", comm, gpu);
    } catch (Vq4jException e) {
      // The emulated device (tests/emu/java.sh) has no NCCL; bench/gpu-check puts it on the library path.
      assumeFalse(e.getMessage().contains("cannot open NCCL"), "NCCL is not installed: " + e.getMessage());
      throw e;
    }
    System.out.printf("NCCL at world size 1 on %s: largest difference %.3g%n", gpu,
        assertClose(single, nccl, null, "NCCL, world size 1"));
  }

  /** rank0.bin and rank1.bin: the same bits, and within the tolerance of what one process computed. */
  private double assertClose(Map<String, float[]> single, String what) throws Exception {
    return assertClose(single, EquivalenceWorker.read(dir.resolve("rank0.bin")),
        EquivalenceWorker.read(dir.resolve("rank1.bin")), what);
  }

  /**
   * rank0 within the tolerance of what one process computed, and rank1 (null: none) the same bits as rank0;
   * returns the largest difference.
   */
  private static double assertClose(Map<String, float[]> single, Map<String, float[]> rank0,
      Map<String, float[]> rank1, String what) {
    assertEquals(single.keySet(), rank0.keySet());
    double worst = 0;
    for (String name : single.keySet()) {
      if (rank1 != null) {
        assertArrayEquals(rank0.get(name), rank1.get(name), what + ": " + name + ": the ranks differ");
      }
      float[] want = single.get(name);
      float[] got = rank0.get(name);
      assertEquals(want.length, got.length, name);
      for (int i = 0; i < want.length; i++) {
        double err = Math.abs(got[i] - want[i]);
        assertTrue(err <= 2e-5 + 1e-4 * Math.abs(want[i]),
            what + ": " + name + "[" + i + "]: " + got[i] + ", 1 process " + want[i]);
        worst = Math.max(worst, err);
      }
    }
    return worst;
  }

  /**
   * Gradients averaged on the communication thread while the backward runs, or started during it (the CUDA
   * stream's flow; Gloo runs a started all-reduce at once), give the same bits as averaged after it (3 steps
   * of 2 ranks, several buckets, some of them sent before the backward ended).
   */
  @Test
  void overlappedAveragingGivesTheSameBitsAsAveragingAfterTheBackward() throws Exception {
    twoRanks("overlap");
    assertOverlapChangesNoBit("thread", "stream");
  }

  /** The same on GPU 0 (skipped without one), with the all-reduces started on the communicator's stream. */
  @Test
  void onTheGpuAllReducesStartedDuringTheBackwardChangeNoBit() throws Exception {
    assumeTrue(Device.cudaDeviceCount() > 0, "no CUDA device");
    twoRanks("overlap", "cuda-gloo");
    assertOverlapChangesNoBit("stream");
  }

  private void assertOverlapChangesNoBit(String... modes) throws Exception {
    for (int r = 0; r < 2; r++) {
      Map<String, float[]> state = EquivalenceWorker.read(dir.resolve("rank" + r + ".bin"));
      assertEquals(0, state.get("none.buckets")[1], "not overlapped, yet buckets were sent during the backward");
      for (String mode : modes) {
        float[] buckets = state.get(mode + ".buckets");
        assertTrue(buckets[0] > 2, mode + ": only " + buckets[0] + " buckets: nothing to overlap");
        assertTrue(buckets[1] >= 3, mode + ": no bucket was sent during the backward: " + buckets[1]);
        int compared = 0;
        for (String name : state.keySet()) {
          if (name.startsWith("none.") && !name.equals("none.buckets")) {
            assertArrayEquals(state.get(name), state.get(mode + "." + name.substring(5)),
                "rank " + r + ", " + mode + ": " + name);
            compared++;
          }
        }
        assertTrue(compared > 20, "compared only " + compared);
      }
    }
  }

  /** Runs EquivalenceWorker's model (and options) as 2 ranks over Gloo, writing rank0.bin and rank1.bin. */
  private void twoRanks(String model, String... options) throws Exception {
    int port = Ranks.freePort();
    try (Ranks ranks = new Ranks(dir)) {
      List<Process> started = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        List<String> args = new ArrayList<>(List.of(model, dir.resolve("rank" + r + ".bin").toString()));
        args.addAll(List.of(options));
        started.add(ranks.start("rank" + r, r, 2, port, EquivalenceWorker.class.getName(), args));
      }
      // On the GPU, 10 minutes: under the emulated device (tests/emu/java.sh) the overlap run takes 3-4.
      int limit = options.length > 0 ? 600 : 120;
      for (int r = 0; r < 2; r++) {
        String out = ranks.finish(started.get(r), "rank" + r, limit);
        assertEquals(0, started.get(r).exitValue(), out);
      }
    }
  }
}
