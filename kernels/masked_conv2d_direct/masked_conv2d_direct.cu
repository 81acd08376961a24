// CUDA masked_conv2d_direct: one thread per output value (output channels fastest), summing the kept taps in
// row-major order and the input channels in order with explicitly rounded multiplies and adds
// (__fmul_rn / __fadd_rn, which the compiler may not fuse), so it gives the CPU reference's bits. A plain
// kernel: the prior's sampling calls it on small crops, where launch latency, not arithmetic, is the cost.
#include <algorithm>

#include "cuda_check.cuh"
#include "masked_conv2d_direct.h"

namespace vq4j {
namespace {

// The masks of vq4j.h (the device copy of masked_conv2d.h's mask_keeps).
__device__ inline bool keeps(int mask, int k, int i, int j) {
  const int c = k / 2;
  switch (mask) {
    case VQ4J_MASK_A: return i < c || (i == c && j < c);
    case VQ4J_MASK_B: return i < c || (i == c && j <= c);
    case VQ4J_MASK_V_A: return i < c;
    case VQ4J_MASK_V_B: return i <= c;
    case VQ4J_MASK_H_A: return i == c && j < c;
    case VQ4J_MASK_H_B: return i == c && j <= c;
    default: return false;
  }
}

// x[n, h, wd, ci], w[co, k, k, ci], b[co] (may be NULL) -> y[n, h, wd, co]; total = n * h * wd * co.
__global__ void direct_fwd(const float* __restrict__ x, const float* __restrict__ w, const float* __restrict__ b,
                           float* __restrict__ y, long long total, int h, int wd, int ci, int co, int k,
                           int mask) {
  const int c = k / 2;
  for (long long e = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<long long>(gridDim.x) * blockDim.x) {
    const int o = static_cast<int>(e % co);
    const long long q = e / co;
    const int ox = static_cast<int>(q % wd);
    const int oy = static_cast<int>(q / wd % h);
    const long long img = q / (static_cast<long long>(wd) * h);
    float acc = b != nullptr ? b[o] : 0.0f;
    for (int i = 0; i < k; ++i) {
      for (int j = 0; j < k; ++j) {
        if (!keeps(mask, k, i, j)) continue;
        const int iy = oy - c + i;
        const int ix = ox - c + j;
        const float* wp = w + (static_cast<size_t>(o) * k * k + i * k + j) * ci;
        if (iy >= 0 && iy < h && ix >= 0 && ix < wd) {
          const float* xp = x + ((static_cast<size_t>(img) * h + iy) * wd + ix) * ci;
          for (int cc = 0; cc < ci; ++cc) acc = __fadd_rn(acc, __fmul_rn(xp[cc], wp[cc]));
        } else {
          // A tap outside the input reads 0, as on the CPU (0 * w, not a skip, so the signs of zeros agree).
          for (int cc = 0; cc < ci; ++cc) acc = __fadd_rn(acc, __fmul_rn(0.0f, wp[cc]));
        }
      }
    }
    y[e] = acc;
  }
}

}  // namespace

int masked_conv2d_direct_fwd_cuda(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y,
                                  int n, int h, int wd, int ci, int co, int k, int mask) {
  const long long total = static_cast<long long>(n) * h * wd * co;
  const int threads = 256;
  const long long blocks = std::min<long long>((total + threads - 1) / threads, 1LL << 20);
  direct_fwd<<<static_cast<unsigned>(blocks), threads, 0, stream_of(ctx)>>>(x, w, b, y, total, h, wd, ci, co, k,
                                                                            mask);
  VQ4J_CUDA_CHECK(ctx, cudaGetLastError());
  return VQ4J_OK;
}

}  // namespace vq4j
