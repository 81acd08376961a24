// The CUDA half of the context and memory API: one non-blocking stream per context; every error is
// recorded with cudaGetErrorString and returned as a status. The stream is synchronised only where the
// host needs a result (vq4j_sync, device-to-host copies), which is also where deferred index errors
// surface (index_check_cuda.h); host-to-device copies go through pinned staging buffers and stay queued.
#include <cuda_runtime.h>

#include <cstring>

#include "context.h"
#include "cuda_check.cuh"
#include "index_check_cuda.h"
#include "memory.h"

namespace vq4j {
namespace {

// Uploads above this go straight from the caller's memory and wait for the stream: a staging buffer that
// large would pin a lot of host memory for a copy that is rare (weights, a whole dataset) and long anyway.
constexpr size_t kStagingMax = size_t{64} << 20;
// Staging buffers grow in powers of two from here, so batches of slightly different sizes reuse them.
constexpr size_t kStagingMin = size_t{64} << 10;

size_t staging_size(size_t bytes) {
  size_t size = kStagingMin;
  while (size < bytes) size *= 2;
  return size;
}

// The caller's host memory is pageable and may be reused as soon as we return, so the bytes are first
// copied into a pinned slot; the device copy from there stays queued. A slot is refilled only after the
// copy it fed last is done, which waits at most for the upload kStagingSlots calls ago.
int upload_staged(vq4j_ctx* ctx, void* dst, const void* src, size_t bytes) {
  const cudaStream_t stream = stream_of(ctx);
  StagingSlot& slot = ctx->staging[ctx->staging_next];
  ctx->staging_next = (ctx->staging_next + 1) % kStagingSlots;
  const cudaEvent_t done = static_cast<cudaEvent_t>(slot.done);
  VQ4J_CUDA_CHECK(ctx, cudaEventSynchronize(done));
  if (slot.bytes < bytes) {
    VQ4J_CUDA_CHECK(ctx, cudaFreeHost(slot.host));
    slot.host = nullptr;
    slot.bytes = 0;
    const size_t size = staging_size(bytes);
    VQ4J_CUDA_CHECK(ctx, cudaHostAlloc(&slot.host, size, cudaHostAllocDefault));
    slot.bytes = size;
  }
  std::memcpy(slot.host, src, bytes);
  VQ4J_CUDA_CHECK(ctx, cudaMemcpyAsync(dst, slot.host, bytes, cudaMemcpyHostToDevice, stream));
  VQ4J_CUDA_CHECK(ctx, cudaEventRecord(done, stream));
  return VQ4J_OK;
}

}  // namespace

int cuda_device_count() {
  int count = 0;
  // No driver or no GPU is an answer (zero), not an error.
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return count;
}

int use_device(vq4j_ctx* ctx) {
  VQ4J_CUDA_CHECK(ctx, cudaSetDevice(ctx->device));
  return VQ4J_OK;
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
  for (StagingSlot& slot : ctx->staging) {
    cudaEvent_t done = nullptr;
    VQ4J_CUDA_CHECK(ctx, cudaEventCreateWithFlags(&done, cudaEventDisableTiming));
    slot.done = done;
  }
  return open_index_checks(ctx);
}

// Frees what cuda_open and the copies acquired, as far as they got: an open that failed after creating the
// stream leaves some of it unset, which the calls below accept. Nothing to report at close: errors are
// dropped.
void cuda_close(vq4j_ctx* ctx) {
  if (ctx->stream == nullptr) return;
  cudaSetDevice(ctx->device);
  cudaStreamSynchronize(stream_of(ctx));
  close_index_checks(ctx);
  for (StagingSlot& slot : ctx->staging) {
    cudaFreeHost(slot.host);
    if (slot.done != nullptr) cudaEventDestroy(static_cast<cudaEvent_t>(slot.done));
    slot = StagingSlot{};
  }
  cudaStreamDestroy(stream_of(ctx));
  ctx->stream = nullptr;
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
  VQ4J_CUDA_CHECK(ctx, cudaSetDevice(ctx->device));
  const cudaStream_t stream = stream_of(ctx);
  switch (kind) {
    case VQ4J_COPY_HOST_TO_DEVICE:
      if (bytes <= kStagingMax) return upload_staged(ctx, dst, src, bytes);
      VQ4J_CUDA_CHECK(ctx, cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream));
      // Straight from pageable memory the caller may reuse at once: the copy must be over before we return.
      VQ4J_CUDA_CHECK(ctx, cudaStreamSynchronize(stream));
      return VQ4J_OK;
    case VQ4J_COPY_DEVICE_TO_HOST:
      VQ4J_CUDA_CHECK(ctx, cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream));
      // The caller reads the result: wait for it, and report what the queued index checks found.
      return sync_and_report_indices(ctx);
    default:
      VQ4J_CUDA_CHECK(ctx, cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream));
      return VQ4J_OK;
  }
}

int cuda_memset_zero(vq4j_ctx* ctx, void* ptr, size_t bytes) {
  VQ4J_CUDA_CHECK(ctx, cudaSetDevice(ctx->device));
  VQ4J_CUDA_CHECK(ctx, cudaMemsetAsync(ptr, 0, bytes, stream_of(ctx)));
  return VQ4J_OK;
}

int cuda_sync(vq4j_ctx* ctx) {
  VQ4J_CUDA_CHECK(ctx, cudaSetDevice(ctx->device));
  return sync_and_report_indices(ctx);
}

}  // namespace vq4j
