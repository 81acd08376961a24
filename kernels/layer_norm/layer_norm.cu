// CUDA layer norm: one warp per row for the forward and the data gradient (the row's sums by warp
// butterflies), one thread per column for dgamma and dbeta (rows summed in order). No atomics, so the
// results are deterministic; sums are in float, so they match the CPU's double sums to float rounding.
#include "cuda_check.cuh"
#include "cuda_launch.cuh"
#include "cuda_warp.cuh"
#include "layer_norm.h"

namespace vq4j {
namespace {

constexpr int kRowsPerBlock = kBlockThreads / kWarp;

// x[rows, c], gamma[c], beta[c] -> y[rows, c], mean[rows], rstd[rows]
__global__ void ln_fwd_kernel(const float* __restrict__ x, const float* __restrict__ gamma,
                              const float* __restrict__ beta, float* __restrict__ y, float* __restrict__ mean,
                              float* __restrict__ rstd, int rows, int c, float eps) {
  const int r = blockIdx.x * kRowsPerBlock + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (r >= rows) return;
  const float* xr = x + static_cast<size_t>(r) * c;
  float s = 0.0f;
  for (int i = lane; i < c; i += kWarp) s += xr[i];
  const float m = warp_sum(s) / c;
  float ss = 0.0f;
  for (int i = lane; i < c; i += kWarp) ss += (xr[i] - m) * (xr[i] - m);
  const float rs = 1.0f / sqrtf(warp_sum(ss) / c + eps);
  float* yr = y + static_cast<size_t>(r) * c;
  for (int i = lane; i < c; i += kWarp) yr[i] = (xr[i] - m) * rs * gamma[i] + beta[i];
  if (lane == 0) {
    mean[r] = m;
    rstd[r] = rs;
  }
}

// -> dx[rows, c]
__global__ void ln_bwd_data_kernel(const float* __restrict__ x, const float* __restrict__ gamma,
                                   const float* __restrict__ mean, const float* __restrict__ rstd,
                                   const float* __restrict__ dy, float* __restrict__ dx, int rows, int c) {
  const int r = blockIdx.x * kRowsPerBlock + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (r >= rows) return;
  const float* xr = x + static_cast<size_t>(r) * c;
  const float* dyr = dy + static_cast<size_t>(r) * c;
  const float m = mean[r], rs = rstd[r];
  float sg = 0.0f, sgx = 0.0f;
  for (int i = lane; i < c; i += kWarp) {
    const float g = dyr[i] * gamma[i];
    sg += g;
    sgx += g * (xr[i] - m) * rs;
  }
  const float mg = warp_sum(sg) / c;
  const float mgx = warp_sum(sgx) / c;
  float* dxr = dx + static_cast<size_t>(r) * c;
  for (int i = lane; i < c; i += kWarp) dxr[i] = rs * (dyr[i] * gamma[i] - mg - (xr[i] - m) * rs * mgx);
}

// -> dgamma[c], dbeta[c]
__global__ void ln_bwd_params_kernel(const float* __restrict__ x, const float* __restrict__ mean,
                                     const float* __restrict__ rstd, const float* __restrict__ dy,
                                     float* __restrict__ dgamma, float* __restrict__ dbeta, int rows, int c) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= c) return;
  float sg = 0.0f, sb = 0.0f;
  for (int r = 0; r < rows; ++r) {
    const size_t e = static_cast<size_t>(r) * c + i;
    sg += dy[e] * ((x[e] - mean[r]) * rstd[r]);
    sb += dy[e];
  }
  dgamma[i] = sg;
  dbeta[i] = sb;
}

}  // namespace

int layer_norm_fwd_cuda(vq4j_ctx* ctx, const float* x, const float* gamma, const float* beta, float* y,
                        float* mean, float* rstd, int rows, int c, float eps) {
  const int blocks = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
  ln_fwd_kernel<<<blocks, kBlockThreads, 0, stream_of(ctx)>>>(x, gamma, beta, y, mean, rstd, rows, c, eps);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "ln_fwd_kernel");
  return VQ4J_OK;
}

int layer_norm_bwd_cuda(vq4j_ctx* ctx, const float* x, const float* gamma, const float* mean,
                        const float* rstd, const float* dy, float* dx, float* dgamma, float* dbeta, int rows,
                        int c) {
  const int blocks = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
  ln_bwd_data_kernel<<<blocks, kBlockThreads, 0, stream_of(ctx)>>>(x, gamma, mean, rstd, dy, dx, rows, c);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "ln_bwd_data_kernel");
  ln_bwd_params_kernel<<<(c + kBlockThreads - 1) / kBlockThreads, kBlockThreads, 0, stream_of(ctx)>>>(
      x, mean, rstd, dy, dgamma, dbeta, rows, c);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "ln_bwd_params_kernel");
  return VQ4J_OK;
}

}  // namespace vq4j
