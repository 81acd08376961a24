package ai.vq4j.cli;

import ai.vq4j.tensor.Backends;
import ai.vq4j.tensor.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What {@code vq4j info} and {@code vq4j --version} print, the lines a bug report needs: the version, the
 * Java runtime, the processor and its vector extensions, the CPU path with its threads, the CUDA driver,
 * runtime and devices, and the communication libraries for data-parallel training.
 */
final class SystemReport {
  /** The vector extensions worth naming, in the order a reader compares them; /proc/cpuinfo's spelling. */
  static final List<String> VECTOR_FLAGS = List.of("sse4_2", "avx", "avx2", "fma", "f16c", "avx_vnni",
      "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16");

  private SystemReport() {}

  static List<String> lines() {
    List<String> out = new ArrayList<>();
    int runtime = Backends.cudaRuntimeVersion();
    out.add("vq4j " + Device.nativeVersion() + (Device.cudaBuilt()
        ? " (CUDA kernels built in, runtime " + Backends.cudaVersionString(runtime) + ")" : " (CPU only)"));
    out.add("java: " + System.getProperty("java.runtime.name") + " " + System.getProperty("java.runtime.version")
        + " (" + System.getProperty("java.vm.name") + ", " + System.getProperty("java.vendor") + ") at "
        + System.getProperty("java.home"));
    out.add("os: " + System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
        + System.getProperty("os.arch"));
    String cpuinfo = readCpuinfo();
    out.add("cpu: " + (cpuinfo == null ? "unknown (no /proc/cpuinfo)" : cpuModel(cpuinfo)) + ", "
        + Runtime.getRuntime().availableProcessors() + " cores available");
    out.add("cpu vector extensions: " + (cpuinfo == null ? "unknown" : String.join(" ", vectorFlags(cpuinfo))));
    out.add("cpu path: " + Backends.cpuGemm() + " for convolutions and matrix products"
        + (Device.CPU.cpuReference() ? " (the reference kernels are forced)" : "") + ", " + Backends.cpuThreads() + " threads (OMP_NUM_THREADS sets them)");
    out.addAll(gpuLines(runtime));
    int nccl = Backends.ncclVersion();
    out.add("nccl: " + (nccl > 0 ? Backends.ncclVersionString(nccl) : "not found (libnccl.so.2 does not load)"));
    out.add("gloo: not built");
    return out;
  }

  private static List<String> gpuLines(int runtime) {
    int driver = Backends.cudaDriverVersion();
    List<Backends.CudaDevice> devices = Backends.cudaDevices();
    String driverText = driver > 0 ? "driver " + Backends.cudaVersionString(driver) : "no CUDA driver installed";
    if (!Device.cudaBuilt()) {
      return List.of("gpu: none used: this build has no CUDA kernels (built with -Dvq4j.cuda=OFF or without nvcc; "
          + driverText + ")");
    }
    if (devices.isEmpty()) {
      return List.of("gpu: none: no usable CUDA GPU on this machine (" + driverText + ", runtime "
          + Backends.cudaVersionString(runtime) + "); vq4j runs on the CPU");
    }
    List<String> out = new ArrayList<>();
    out.add("gpu: " + devices.size() + " CUDA device(s), " + driverText + ", runtime "
        + Backends.cudaVersionString(runtime));
    for (Backends.CudaDevice d : devices) {
      out.add(String.format(Locale.ROOT, "  cuda:%d %s, %.1f GiB, compute capability %d.%d", d.ordinal(), d.name(),
          d.totalBytes() / (double) (1L << 30), d.ccMajor(), d.ccMinor()));
    }
    return out;
  }

  private static String readCpuinfo() {
    try {
      return Files.readString(Path.of("/proc/cpuinfo"));
    } catch (IOException e) {
      return null;
    }
  }

  /** The first "model name" of a /proc/cpuinfo text. */
  static String cpuModel(String cpuinfo) {
    for (String line : cpuinfo.split("\n")) {
      if (line.startsWith("model name")) {
        return line.substring(line.indexOf(':') + 1).trim();
      }
    }
    return "unknown model";
  }

  /** The extensions of {@link #VECTOR_FLAGS} that the first processor's "flags" line lists. */
  static List<String> vectorFlags(String cpuinfo) {
    Set<String> flags = new LinkedHashSet<>();
    for (String line : cpuinfo.split("\n")) {
      if (line.startsWith("flags")) {
        flags.addAll(List.of(line.substring(line.indexOf(':') + 1).trim().split("\\s+")));
        break;
      }
    }
    List<String> out = new ArrayList<>();
    for (String f : VECTOR_FLAGS) {
      if (flags.contains(f)) {
        out.add(f);
      }
    }
    if (out.isEmpty()) {
      out.add("none of " + String.join(" ", VECTOR_FLAGS));
    }
    return out;
  }
}
