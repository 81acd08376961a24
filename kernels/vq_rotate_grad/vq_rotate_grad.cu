// CUDA rotation trick backward: one warp per row, its five dot products reduced by shuffles (double
// sums, as the CPU), then each lane writes the dims it read.
#include "cuda_check.cuh"
#include "cuda_launch.cuh"
#include "vq_rotate_grad.h"

namespace vq4j {
namespace {

constexpr int kWarp = 32;
constexpr unsigned kFullWarp = 0xffffffffu;
constexpr int kWarpsPerBlock = kBlockThreads / kWarp;

__device__ __forceinline__ double warp_sum(double v) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) v += __shfl_xor_sync(kFullWarp, v, offset);
  return v;
}

// z_e, z_q, dz_q [rows, d] -> dz_rot [rows, d]; warp w of the grid handles rows w, w + warps, ...
__global__ void rotate_grad(const float* __restrict__ z_e, const float* __restrict__ z_q, const float* dz_q,
                            float* dz_rot, int rows, int d) {
  const int lane = threadIdx.x % kWarp;
  const int warps = gridDim.x * kWarpsPerBlock;
  for (int row = blockIdx.x * kWarpsPerBlock + threadIdx.x / kWarp; row < rows; row += warps) {
    const size_t o = static_cast<size_t>(row) * d;
    double ee = 0, qq = 0, eq = 0, eg = 0, qg = 0;
    for (int c = lane; c < d; c += kWarp) {
      const double ze = z_e[o + c];
      const double zq = z_q[o + c];
      const double g = dz_q[o + c];
      ee += ze * ze;
      qq += zq * zq;
      eq += ze * zq;
      eg += ze * g;
      qg += zq * g;
    }
    ee = warp_sum(ee);
    qq = warp_sum(qq);
    eq = warp_sum(eq);
    eg = warp_sum(eg);
    qg = warp_sum(qg);
    if (ee == 0 || qq == 0) {
      for (int c = lane; c < d; c += kWarp) dz_rot[o + c] = dz_q[o + c];
      continue;
    }
    const double ne = sqrt(ee);
    const double nq = sqrt(qq);
    const double rr = 2 + 2 * (eq / (ne * nq));
    const double lambda = nq / ne;
    const double inv_r = rr < 1e-12 ? 0 : 1 / sqrt(rr);
    const double rg = (eg / ne + qg / nq) * inv_r;
    const double a = -2 * rg * inv_r;
    const double be = a / ne + 2 * (qg / nq) / ne;
    const double bq = a / nq;
    for (int c = lane; c < d; c += kWarp) {
      dz_rot[o + c] = static_cast<float>(lambda * (dz_q[o + c] + be * z_e[o + c] + bq * z_q[o + c]));
    }
  }
}

}  // namespace

int vq_rotate_grad_cuda(vq4j_ctx* ctx, const float* z_e, const float* z_q, const float* dz_q, float* dz_rot,
                        int rows, int d) {
  const int blocks = grid_for(rows, kWarpsPerBlock);
  rotate_grad<<<blocks, kBlockThreads, 0, stream_of(ctx)>>>(z_e, z_q, dz_q, dz_rot, rows, d);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "rotate_grad");
  return VQ4J_OK;
}

}  // namespace vq4j
