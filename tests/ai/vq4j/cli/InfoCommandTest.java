package ai.vq4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.tensor.Backends;
import ai.vq4j.tensor.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code vq4j info} and {@code vq4j --version}: every line a bug report needs, true of this machine. */
class InfoCommandTest {
  static String line(String report, String prefix) {
    for (String l : report.split("\n")) {
      if (l.startsWith(prefix)) {
        return l;
      }
    }
    throw new AssertionError("no line starting with '" + prefix + "' in:\n" + report);
  }

  @Test
  void infoReportsVersionJavaCpuGpuAndCommunicationLibraries() throws Exception {
    Object[] r = CliTest.cli("info");
    assertEquals(0, r[0], (String) r[1]);
    String out = (String) r[1];
    assertTrue(line(out, "vq4j ").startsWith("vq4j " + Device.nativeVersion() + " ("), out);
    assertTrue(line(out, "java: ").contains(System.getProperty("java.runtime.version")), out);
    assertTrue(line(out, "cpu path: ").matches("cpu path: oneDNN \\d+\\.\\d+\\.\\d+ \\(isa \\S+\\) for convolutions and matrix products.*, \\d+ threads.*"), out);
    assertTrue(line(out, "cpu path: ").contains(", " + Backends.cpuThreads() + " threads"), out);
    String vector = line(out, "cpu vector extensions: ");
    if (Files.exists(Path.of("/proc/cpuinfo"))) {
      // Read the flags independently of SystemReport, and check that every extension it knows is reported.
      Matcher m = Pattern.compile("(?m)^flags\\s*:(.*)$").matcher(Files.readString(Path.of("/proc/cpuinfo")));
      assertTrue(m.find(), "/proc/cpuinfo has a flags line");
      List<String> flags = List.of(m.group(1).trim().split("\\s+"));
      for (String f : SystemReport.VECTOR_FLAGS) {
        assertEquals(flags.contains(f), List.of(vector.substring(vector.indexOf(':') + 1).trim().split(" "))
            .contains(f), f + " in " + vector);
      }
    }
    if (Device.cudaDeviceCount() == 0) {
      assertTrue(line(out, "gpu: ").startsWith("gpu: none"), out);
    } else {
      assertTrue(line(out, "gpu: ").startsWith("gpu: " + Device.cudaDeviceCount() + " CUDA device(s), driver "), out);
      assertTrue(out.contains("  cuda:0 " + Backends.cudaDevices().get(0).name() + ", "), out);
    }
    assertTrue(line(out, "nccl: ").equals(Backends.ncclVersion() > 0
        ? "nccl: " + Backends.ncclVersionString(Backends.ncclVersion()) : "nccl: not found (libnccl.so.2 does not load)"),
        out);
    assertEquals("gloo: not built", line(out, "gloo: "));
  }

  @Test
  void versionPrintsTheSameReport() {
    Object[] info = CliTest.cli("info");
    Object[] version = CliTest.cli("--version");
    assertEquals(0, version[0], (String) version[1]);
    assertEquals(info[1], version[1]);
  }

  @Test
  void vectorExtensionsComeFromTheFirstFlagsLineInAFixedOrder() {
    String cpuinfo = "processor\t: 0\nmodel name\t: Test CPU @ 2.0GHz\nflags\t\t: fpu avx512f sse4_2 avx2 fma ht\n"
        + "processor\t: 1\nflags\t\t: fpu amx_tile\n";
    assertEquals(List.of("sse4_2", "avx2", "fma", "avx512f"), SystemReport.vectorFlags(cpuinfo));
    assertEquals("Test CPU @ 2.0GHz", SystemReport.cpuModel(cpuinfo));
    assertTrue(SystemReport.vectorFlags("flags\t: fpu vme\n").get(0).startsWith("none of sse4_2"));
  }

  @Test
  void versionNumbersReadAsPeopleWriteThem() {
    assertEquals("12.8", Backends.cudaVersionString(12080));
    assertEquals("13.0", Backends.cudaVersionString(13000));
    assertEquals("2.27.3", Backends.ncclVersionString(22703));
  }
}
