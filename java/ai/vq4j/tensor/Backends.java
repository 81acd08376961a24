package ai.vq4j.tensor;

import static ai.vq4j.bridge.Vq4jNative.*;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;

/**
 * What the native library and this machine offer to compute on: the CPU backend's threads and matrix-product
 * library, the CUDA driver, runtime and devices, and NCCL. Every query answers (zero, empty) rather than
 * fails when a piece is missing, so that a report can always be printed.
 */
public final class Backends {
  private Backends() {}

  /** One CUDA device as the runtime describes it. */
  public record CudaDevice(int ordinal, String name, long totalBytes, int ccMajor, int ccMinor) {}

  /** Threads the CPU ops run on (OpenMP's maximum). */
  public static int cpuThreads() {
    return vq4j_cpu_threads();
  }

  /** The CPU matrix-product library with its configuration and the kernel it chose for this processor. */
  public static String cpuGemm() {
    return vq4j_cpu_gemm().getString();
  }

  /** The installed CUDA driver's version as 1000 * major + 10 * minor, 0 without a driver. */
  public static int cudaDriverVersion() {
    return vq4j_cuda_driver_version();
  }

  /** The CUDA runtime the library was compiled against, 0 for a CPU-only build. */
  public static int cudaRuntimeVersion() {
    return vq4j_cuda_runtime_version();
  }

  /** Every usable CUDA device; empty without a driver, a GPU or CUDA kernels in the build. */
  public static List<CudaDevice> cudaDevices() {
    List<CudaDevice> out = new ArrayList<>();
    int count = Device.cudaDeviceCount();
    for (int i = 0; i < count; i++) {
      try (BytePointer name = new BytePointer(256);
           LongPointer bytes = new LongPointer(1);
           IntPointer major = new IntPointer(1);
           IntPointer minor = new IntPointer(1)) {
        int status = vq4j_cuda_device_info(i, name, 256, bytes, major, minor);
        if (status != VQ4J_OK) {
          throw new Vq4jException("cudaDevices", status, "cannot read the properties of CUDA device " + i);
        }
        out.add(new CudaDevice(i, name.getString(), bytes.get(), major.get(), minor.get()));
      }
    }
    return out;
  }

  /** NCCL's version (22703 for 2.27.3) when libnccl.so.2 loads on this machine, else 0. */
  public static int ncclVersion() {
    return vq4j_nccl_version();
  }

  /** "12.8" for 12080; NCCL's 22703 is "2.27.3". */
  public static String cudaVersionString(int version) {
    return version / 1000 + "." + version % 1000 / 10;
  }

  public static String ncclVersionString(int version) {
    return version / 10000 + "." + version % 10000 / 100 + "." + version % 100;
  }
}
