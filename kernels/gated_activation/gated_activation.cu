// CUDA gated activation of Gated PixelCNN: y = tanh(a) * sigmoid(b) with x = [a | b] per row. One thread
// per output element (r, i) of the [rows, c] grid, flattened as e = r * c + i. tanhf and expf are CUDA's
// (at most 2 ulp from the correctly rounded value), so results match the CPU to a few ulp, not bitwise.
#include "cuda_check.cuh"
#include "cuda_launch.cuh"
#include "gated_activation.h"

namespace vq4j {
namespace {

// exp of a non-positive argument only, as the CPU reference: a large |x| gives 0 or 1, never inf / inf.
__device__ __forceinline__ float stable_sigmoid(float x) {
  if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
  const float e = expf(x);
  return e / (1.0f + e);
}

// x[rows, 2c] -> y[rows, c]
__global__ void gated_fwd_kernel(const float* __restrict__ x, float* __restrict__ y, long long count, int c) {
  for (long long e = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; e < count;
       e += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long r = e / c;
    const long long i = e - r * c;
    const float* xr = x + r * 2 * c;
    y[e] = tanhf(xr[i]) * stable_sigmoid(xr[c + i]);
  }
}

// x[rows, 2c], dy[rows, c] -> dx[rows, 2c]
__global__ void gated_bwd_kernel(const float* __restrict__ x, const float* __restrict__ dy,
                                 float* __restrict__ dx, long long count, int c) {
  for (long long e = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; e < count;
       e += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long r = e / c;
    const long long i = e - r * c;
    const float* xr = x + r * 2 * c;
    float* dxr = dx + r * 2 * c;
    const float t = tanhf(xr[i]);
    const float s = stable_sigmoid(xr[c + i]);
    const float g = dy[e];
    // __fmul_rn keeps t * t rounded on its own, as on the CPU, instead of contracted into an fma.
    dxr[i] = g * s * (1.0f - __fmul_rn(t, t));
    dxr[c + i] = g * t * s * (1.0f - s);
  }
}

}  // namespace

int gated_activation_fwd_cuda(vq4j_ctx* ctx, const float* x, float* y, int rows, int c) {
  const long long count = static_cast<long long>(rows) * c;
  gated_fwd_kernel<<<grid_for(count), kBlockThreads, 0, stream_of(ctx)>>>(x, y, count, c);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "gated_fwd_kernel");
  return VQ4J_OK;
}

int gated_activation_bwd_cuda(vq4j_ctx* ctx, const float* x, const float* dy, float* dx, int rows, int c) {
  const long long count = static_cast<long long>(rows) * c;
  gated_bwd_kernel<<<grid_for(count), kBlockThreads, 0, stream_of(ctx)>>>(x, dy, dx, count, c);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "gated_bwd_kernel");
  return VQ4J_OK;
}

}  // namespace vq4j
