/**
 * The JavaCPP bridge to the C API in {@code native/include/vq4j.h}: {@link ai.vq4j.bridge.Vq4jConfig}
 * and the {@code Vq4jNative} class the build generates from it. Nothing else belongs here; Java code
 * calls the native side through {@link ai.vq4j.tensor.Ops}.
 */
package ai.vq4j.bridge;
