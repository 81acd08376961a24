// CUDA GELU (tanh approximation): one thread per element. tanhf is CUDA's (within 2 ulp), so results
// match the CPU to a few ulp, not bitwise.
#include "cuda_check.cuh"
#include "cuda_launch.cuh"
#include "gelu.h"

namespace vq4j {
namespace {

// x[count] -> y[count]
__global__ void gelu_fwd_kernel(const float* __restrict__ x, float* y, long long count) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const float v = x[i];
    const float t = tanhf(kGeluSqrt2OverPi * (v + kGeluCubic * v * v * v));
    y[i] = 0.5f * v * (1.0f + t);
  }
}

// x[count], dy[count] -> dx[count]
__global__ void gelu_bwd_kernel(const float* __restrict__ x, const float* dy, float* dx, long long count) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const float v = x[i];
    const float t = tanhf(kGeluSqrt2OverPi * (v + kGeluCubic * v * v * v));
    const float du = kGeluSqrt2OverPi * (1.0f + 3.0f * kGeluCubic * v * v);
    dx[i] = dy[i] * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * du);
  }
}

}  // namespace

int gelu_fwd_cuda(vq4j_ctx* ctx, const float* x, float* y, long long count) {
  if (count == 0) return VQ4J_OK;
  gelu_fwd_kernel<<<grid_for(count), kBlockThreads, 0, stream_of(ctx)>>>(x, y, count);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "gelu_fwd_kernel");
  return VQ4J_OK;
}

int gelu_bwd_cuda(vq4j_ctx* ctx, const float* x, const float* dy, float* dx, long long count) {
  if (count == 0) return VQ4J_OK;
  gelu_bwd_kernel<<<grid_for(count), kBlockThreads, 0, stream_of(ctx)>>>(x, dy, dx, count);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "gelu_bwd_kernel");
  return VQ4J_OK;
}

}  // namespace vq4j
