package ai.vq4j.bridge;

import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;
import org.bytedeco.javacpp.tools.Info;
import org.bytedeco.javacpp.tools.InfoMap;
import org.bytedeco.javacpp.tools.InfoMapper;

/**
 * JavaCPP configuration for {@code native/include/vq4j.h}: the build parses the header with it and
 * generates {@link Vq4jNative}, one static native method per C function. libgomp (OpenMP), oneDNN and the
 * OpenCL loader oneDNN links against are preloaded from the jar, in dependency order, so a host needs
 * neither an OpenMP runtime nor oneDNN installed. libvq4j_gloo.so (the CPU communicator) is listed so that
 * it travels in the jar beside libvq4j.so, which opens it on first use; its preload fails harmlessly on a
 * host without Gloo (package libgloo0), and only the communicator then says so.
 */
@Properties(
    target = "ai.vq4j.bridge.Vq4jNative",
    value = @Platform(include = "vq4j.h", link = "vq4j", preload = {"gomp@.1", "OpenCL@.1", "dnnl@.2", "vq4j_gloo"}))
public class Vq4jConfig implements InfoMapper {
  @Override
  public void map(InfoMap infoMap) {
    // The include guard is not an API constant.
    infoMap.put(new Info("VQ4J_H").skip());
  }
}
