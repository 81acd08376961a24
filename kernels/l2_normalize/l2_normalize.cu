// CUDA l2 normalisation: one warp per row, the row's sums reduced by shuffles in double (as the CPU), then
// each lane writes the dims it read.
#include "cuda_check.cuh"
#include "cuda_launch.cuh"
#include "l2_normalize.h"

namespace vq4j {
namespace {

constexpr int kWarp = 32;
constexpr unsigned kFullWarp = 0xffffffffu;
constexpr int kWarpsPerBlock = kBlockThreads / kWarp;

__device__ __forceinline__ double warp_sum(double v) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) v += __shfl_xor_sync(kFullWarp, v, offset);
  return v;
}

__global__ void l2_normalize_fwd_kernel(const float* x, float* y, int rows, int d) {
  const int lane = threadIdx.x % kWarp;
  const int warps = gridDim.x * kWarpsPerBlock;
  for (int r = blockIdx.x * kWarpsPerBlock + threadIdx.x / kWarp; r < rows; r += warps) {
    const size_t o = static_cast<size_t>(r) * d;
    double s = 0;
    for (int c = lane; c < d; c += kWarp) s += static_cast<double>(x[o + c]) * x[o + c];
    s = warp_sum(s);
    const double inv = 1 / fmax(sqrt(s), kL2NormalizeEps);
    for (int c = lane; c < d; c += kWarp) y[o + c] = static_cast<float>(x[o + c] * inv);
  }
}

__global__ void l2_normalize_bwd_kernel(const float* __restrict__ x, const float* dy, float* dx, int rows,
                                        int d) {
  const int lane = threadIdx.x % kWarp;
  const int warps = gridDim.x * kWarpsPerBlock;
  for (int r = blockIdx.x * kWarpsPerBlock + threadIdx.x / kWarp; r < rows; r += warps) {
    const size_t o = static_cast<size_t>(r) * d;
    double ss = 0, sg = 0;
    for (int c = lane; c < d; c += kWarp) {
      ss += static_cast<double>(x[o + c]) * x[o + c];
      sg += static_cast<double>(x[o + c]) * dy[o + c];
    }
    ss = warp_sum(ss);
    sg = warp_sum(sg);
    const double n = sqrt(ss);
    if (n <= kL2NormalizeEps) {
      for (int c = lane; c < d; c += kWarp) dx[o + c] = static_cast<float>(dy[o + c] / kL2NormalizeEps);
      continue;
    }
    const double radial = sg / (n * n);
    for (int c = lane; c < d; c += kWarp) dx[o + c] = static_cast<float>((dy[o + c] - x[o + c] * radial) / n);
  }
}

}  // namespace

int l2_normalize_fwd_cuda(vq4j_ctx* ctx, const float* x, float* y, int rows, int d) {
  l2_normalize_fwd_kernel<<<grid_for(rows, kWarpsPerBlock), kBlockThreads, 0, stream_of(ctx)>>>(x, y, rows, d);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "l2_normalize_fwd_kernel");
  return VQ4J_OK;
}

int l2_normalize_bwd_cuda(vq4j_ctx* ctx, const float* x, const float* dy, float* dx, int rows, int d) {
  l2_normalize_bwd_kernel<<<grid_for(rows, kWarpsPerBlock), kBlockThreads, 0, stream_of(ctx)>>>(x, dy, dx, rows, d);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "l2_normalize_bwd_kernel");
  return VQ4J_OK;
}

}  // namespace vq4j
