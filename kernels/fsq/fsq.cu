// CUDA FSQ: one thread per row for the codes (d is at most kFsqMaxDims), one per element for the gradient;
// the channel constants travel by value in the launch.
#include "cuda_check.cuh"
#include "cuda_launch.cuh"
#include "fsq.h"
#include "fsq_math.h"

namespace vq4j {
namespace {

struct FsqLevels {
  FsqChannel ch[kFsqMaxDims];
  int levels[kFsqMaxDims];
};

FsqLevels make_levels(const int* levels, int d) {
  FsqLevels l{};
  for (int i = 0; i < d; ++i) {
    l.ch[i] = fsq_channel(levels[i]);
    l.levels[i] = levels[i];
  }
  return l;
}

__global__ void fsq_fwd_kernel(const float* __restrict__ z, FsqLevels l, int* __restrict__ codes,
                               float* __restrict__ z_q, int rows, int d) {
  for (int r = blockIdx.x * blockDim.x + threadIdx.x; r < rows; r += gridDim.x * blockDim.x) {
    int code = 0;
    int basis = 1;
    for (int i = 0; i < d; ++i) {
      const size_t at = static_cast<size_t>(r) * d + i;
      const int digit = fsq_digit(l.ch[i], z[at]);
      z_q[at] = static_cast<float>(digit - l.ch[i].half_width) / static_cast<float>(l.ch[i].half_width);
      code += digit * basis;
      basis *= l.levels[i];
    }
    codes[r] = code;
  }
}

__global__ void fsq_bwd_kernel(const float* __restrict__ z, FsqLevels l, const float* __restrict__ dz_q,
                               float* __restrict__ dz, long long count, int d) {
  for (long long at = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; at < count;
       at += static_cast<long long>(gridDim.x) * blockDim.x) {
    dz[at] = static_cast<float>(dz_q[at] * fsq_slope(l.ch[at % d], z[at]));
  }
}

}  // namespace

int fsq_fwd_cuda(vq4j_ctx* ctx, const float* z, const int* levels, int* codes, float* z_q, int rows, int d) {
  fsq_fwd_kernel<<<grid_for(rows), kBlockThreads, 0, stream_of(ctx)>>>(z, make_levels(levels, d), codes, z_q,
                                                                        rows, d);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "fsq_fwd_kernel");
  return VQ4J_OK;
}

int fsq_bwd_cuda(vq4j_ctx* ctx, const float* z, const int* levels, const float* dz_q, float* dz, int rows,
                 int d) {
  const long long count = static_cast<long long>(rows) * d;
  fsq_bwd_kernel<<<grid_for(count), kBlockThreads, 0, stream_of(ctx)>>>(z, make_levels(levels, d), dz_q, dz,
                                                                         count, d);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "fsq_bwd_kernel");
  return VQ4J_OK;
}

}  // namespace vq4j
