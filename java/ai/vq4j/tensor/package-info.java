/**
 * Tensors that own native memory ({@link ai.vq4j.tensor.Tensor}), the devices they live on
 * ({@link ai.vq4j.tensor.Device}: the CPU, or a CUDA GPU) and the op facade ({@link ai.vq4j.tensor.Ops})
 * that checks shapes in Java and then calls the native CPU reference or CUDA kernel.
 */
package ai.vq4j.tensor;
