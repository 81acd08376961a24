// CUDA elementwise ops: one grid-stride loop each, bit-identical to the CPU reference (no rounding other
// than the one operation per element). Outputs may alias inputs: each thread reads its elements before it
// writes them, and no thread touches another's.
#include "cuda_check.cuh"
#include "cuda_launch.cuh"
#include "elementwise.h"

namespace vq4j {
namespace {

// x[count] -> y[count]
__global__ void relu_fwd_kernel(const float* x, float* y, long long count) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const float v = x[i];
    y[i] = v > 0.0f ? v : 0.0f;  // NaN -> 0, as on the CPU
  }
}

// y[count], dy[count] -> dx[count]
__global__ void relu_bwd_kernel(const float* y, const float* dy, float* dx, long long count) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<long long>(gridDim.x) * blockDim.x)
    dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

// a[count], b[count] -> y[count]
__global__ void add_kernel(const float* a, const float* b, float* y, long long count) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<long long>(gridDim.x) * blockDim.x)
    y[i] = a[i] + b[i];
}

}  // namespace

int relu_fwd_cuda(vq4j_ctx* ctx, const float* x, float* y, long long count) {
  if (count == 0) return VQ4J_OK;  // a zero-block grid is an invalid launch
  relu_fwd_kernel<<<grid_for(count), kBlockThreads, 0, stream_of(ctx)>>>(x, y, count);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "relu_fwd_kernel");
  return VQ4J_OK;
}

int relu_bwd_cuda(vq4j_ctx* ctx, const float* y, const float* dy, float* dx, long long count) {
  if (count == 0) return VQ4J_OK;
  relu_bwd_kernel<<<grid_for(count), kBlockThreads, 0, stream_of(ctx)>>>(y, dy, dx, count);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "relu_bwd_kernel");
  return VQ4J_OK;
}

int add_cuda(vq4j_ctx* ctx, const float* a, const float* b, float* y, long long count) {
  if (count == 0) return VQ4J_OK;
  add_kernel<<<grid_for(count), kBlockThreads, 0, stream_of(ctx)>>>(a, b, y, count);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "add_kernel");
  return VQ4J_OK;
}

}  // namespace vq4j
