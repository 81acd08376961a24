// CUDA restart candidates: one thread per element (j, c) of candidates, copies or zeros.
#include "cuda_check.cuh"
#include "cuda_launch.cuh"
#include "vq_restart_candidates.h"

namespace vq4j {
namespace {

__global__ void restart_candidates(const float* __restrict__ z_e, float* __restrict__ candidates, int rows,
                                   long long first_row, long long total_rows, int d, long long count,
                                   unsigned long long key) {
  for (long long e = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; e < count;
       e += static_cast<long long>(gridDim.x) * blockDim.x) {
    const int j = static_cast<int>(e / d);
    const long long r = dead_code_row(key, j, total_rows) - first_row;
    candidates[e] = r >= 0 && r < rows ? z_e[r * d + e % d] : 0.0f;
  }
}

}  // namespace

int vq_restart_candidates_cuda(vq4j_ctx* ctx, const float* z_e, float* candidates, int rows, long long first_row,
                               long long total_rows, int d, int k, unsigned long long key) {
  const long long count = static_cast<long long>(k) * d;
  restart_candidates<<<grid_for(count), kBlockThreads, 0, stream_of(ctx)>>>(z_e, candidates, rows, first_row,
                                                                            total_rows, d, count, key);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "restart_candidates");
  return VQ4J_OK;
}

}  // namespace vq4j
