package ai.vq4j.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.tensor.Device;
import java.io.File;
import org.junit.jupiter.api.Test;

/** The packaging contract: the native libraries ride on the class path (so in the jar) and match the build. */
class NativeLibraryTest {
  private static final String DIR = "/ai/vq4j/bridge/linux-x86_64/";

  @Test
  void nativeLibrariesAreClassPathResources() {
    for (String lib : new String[] {"libvq4j.so", "libjniVq4jNative.so", "libgomp.so.1"}) {
      assertNotNull(Vq4jNative.class.getResource(DIR + lib), lib + " must be packaged beside the JNI glue");
    }
  }

  @Test
  void nativeVersionIsTheBuildVersion() {
    String expected = System.getProperty("vq4j.version");
    assertNotNull(expected, "surefire passes the project version");
    assertEquals(expected, Device.nativeVersion());
  }

  /** Guards CI's promise that every .cu file is compiled whenever nvcc is there. */
  @Test
  void cudaIsBuiltWheneverNvccIsFound() {
    boolean requested = !"OFF".equalsIgnoreCase(System.getProperty("vq4j.cuda", "ON"));
    boolean nvcc = System.getenv("CUDACXX") != null || onPath("nvcc") || new File("/usr/local/cuda/bin/nvcc").canExecute();
    if (requested && nvcc) {
      assertTrue(Device.cudaBuilt(), "nvcc is available but libvq4j.so was built without CUDA");
    } else {
      assertEquals(false, Device.cudaBuilt(), "CUDA was not requested or nvcc is missing");
    }
  }

  private static boolean onPath(String exe) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (new File(dir, exe).canExecute()) {
        return true;
      }
    }
    return false;
  }
}
