package ai.vq4j.bench;

import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Ops;

/**
 * The {@code device} JMH parameter of the benchmarks: {@code cpu} (the default everywhere: the CPU's fast
 * paths), {@code cpu-ref} (the CPU's hand-written reference kernels, to compare against), {@code cuda} or
 * {@code cuda:N}. Selecting CUDA where the library has no CUDA kernels or the
 * machine has no GPU fails that trial's setup with a clear message; JMH reports it and goes on with the
 * next benchmark (nothing crashes). The scripts select {@code -p device=cuda} only on a GPU machine.
 */
final class BenchDevice {
  private BenchDevice() {}

  static Device resolve(String name) {
    if (name.equals("cpu") || name.equals("cpu-ref")) {
      Device.CPU.setCpuReference(name.equals("cpu-ref"));
      return Device.CPU;
    }
    if (name.equals("cuda") || name.startsWith("cuda:")) {
      int ordinal;
      try {
        ordinal = name.equals("cuda") ? 0 : Integer.parseInt(name.substring(5));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("-p device=" + name + ": expected cpu, cpu-ref, cuda or cuda:N");
      }
      if (!Device.cudaBuilt()) {
        throw new IllegalStateException("-p device=" + name
            + " selected, but this libvq4j was built without its CUDA kernels (no nvcc at build time)");
      }
      if (Device.cudaDeviceCount() <= ordinal) {
        throw new IllegalStateException("-p device=" + name + " selected, but this machine has "
            + Device.cudaDeviceCount() + " usable CUDA device(s): run with -p device=cpu");
      }
      return Device.cuda(ordinal);
    }
    throw new IllegalArgumentException("-p device=" + name + ": expected cpu, cpu-ref, cuda or cuda:N");
  }

  /**
   * Ends a benchmark invocation on a GPU: waits for every kernel it queued, so the time JMH reads includes
   * the asynchronous launches. Nothing on the CPU (whose ops are synchronous), keeping CPU timings as before.
   */
  static void finish(Device device) {
    if (!device.isCpu()) {
      Ops.sync(device);
    }
  }
}
