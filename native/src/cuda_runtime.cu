// The CUDA half of the context and memory API: one non-blocking stream per context; every error is
// recorded with cudaGetErrorString and returned as a status.
#include <cuda_runtime.h>

#include "context.h"
#include "cuda_check.cuh"
#include "memory.h"

namespace vq4j {

int cuda_device_count() {
  int count = 0;
  // No driver or no GPU is an answer (zero), not an error.
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return count;
}

int cuda_open(vq4j_ctx* ctx) {
  int count = cuda_device_count();
  if (ctx->device >= count)
    return VQ4J_FAIL(ctx, VQ4J_ERR_CUDA, "CUDA device %d requested, but %d CUDA device(s) are usable",
                     ctx->device, count);
  VQ4J_CUDA_CHECK(ctx, cudaSetDevice(ctx->device));
  cudaStream_t stream = nullptr;
  VQ4J_CUDA_CHECK(ctx, cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  ctx->stream = stream;
  return VQ4J_OK;
}

void cuda_close(vq4j_ctx* ctx) {
  if (ctx->stream != nullptr) {
    cudaSetDevice(ctx->device);
    cudaStreamSynchronize(stream_of(ctx));
    cudaStreamDestroy(stream_of(ctx));
    ctx->stream = nullptr;
  }
}

void* cuda_allocate(vq4j_ctx* ctx, size_t bytes) {
  void* p = nullptr;
  cudaError_t err = cudaSetDevice(ctx->device);
  if (err == cudaSuccess) err = cudaMalloc(&p, bytes);
  if (err != cudaSuccess) {
    VQ4J_FAIL(ctx, VQ4J_ERR_MEMORY, "cudaMalloc(%zu bytes) on device %d: %s", bytes, ctx->device,
              cudaGetErrorString(err));
    return nullptr;
  }
  return p;
}

int cuda_release(vq4j_ctx* ctx, void* ptr) {
  VQ4J_CUDA_CHECK(ctx, cudaSetDevice(ctx->device));
  // Kernels still queued on the stream may use ptr: cudaFree waits for the device, which covers them.
  VQ4J_CUDA_CHECK(ctx, cudaFree(ptr));
  return VQ4J_OK;
}

int cuda_memcpy(vq4j_ctx* ctx, void* dst, const void* src, size_t bytes, int kind) {
  cudaMemcpyKind k = kind == VQ4J_COPY_HOST_TO_DEVICE   ? cudaMemcpyHostToDevice
                     : kind == VQ4J_COPY_DEVICE_TO_HOST ? cudaMemcpyDeviceToHost
                                                        : cudaMemcpyDeviceToDevice;
  VQ4J_CUDA_CHECK(ctx, cudaSetDevice(ctx->device));
  VQ4J_CUDA_CHECK(ctx, cudaMemcpyAsync(dst, src, bytes, k, stream_of(ctx)));
  // Host memory is pageable Java-side memory: the copy must be finished before the call returns.
  if (k != cudaMemcpyDeviceToDevice) VQ4J_CUDA_CHECK(ctx, cudaStreamSynchronize(stream_of(ctx)));
  return VQ4J_OK;
}

int cuda_memset_zero(vq4j_ctx* ctx, void* ptr, size_t bytes) {
  VQ4J_CUDA_CHECK(ctx, cudaSetDevice(ctx->device));
  VQ4J_CUDA_CHECK(ctx, cudaMemsetAsync(ptr, 0, bytes, stream_of(ctx)));
  return VQ4J_OK;
}

int cuda_sync(vq4j_ctx* ctx) {
  VQ4J_CUDA_CHECK(ctx, cudaStreamSynchronize(stream_of(ctx)));
  return VQ4J_OK;
}

}  // namespace vq4j
