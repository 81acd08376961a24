// CUDA embedding lookup and its gradient. Both queue the device-side check of ids against [0, k), reported
// at the next synchronisation (index_check_cuda.h); a bad id gives a row of zeros forward and adds nothing
// backward. The gradient is the deterministic per-code row scan of
// sum_by_code.cuh: each dtable element is summed in row order, the CPU reference's order, so the two
// backends give the same bits.
#include "cuda_check.cuh"
#include "cuda_launch.cuh"
#include "embedding.h"
#include "index_check_cuda.h"
#include "sum_by_code.cuh"

namespace vq4j {
namespace {

// table[k, d], ids[rows] -> y[rows, d]; one thread per output element e = r * d + c.
__global__ void embedding_gather(const float* __restrict__ table, const int* __restrict__ ids,
                                 float* __restrict__ y, long long count, int d, int k) {
  for (long long e = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; e < count;
       e += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long r = e / d;
    const long long c = e - r * d;
    const int id = ids[r];
    y[e] = id >= 0 && id < k ? table[static_cast<long long>(id) * d + c] : 0.0f;
  }
}

// dtable[j, c] = sum over rows r with ids[r] = j of dy[r, c] (0 for an unused id).
struct EmbeddingGrad {
  using Acc = float;
  const float* dy;
  float* dtable;
  int d;
  __device__ float add(float acc, long long r, int c) const { return acc + dy[r * d + c]; }
  __device__ void store(int j, int c, float sum) const { dtable[static_cast<long long>(j) * d + c] = sum; }
  __device__ void store_count(int, int) const {}
};

}  // namespace

// table[k, d], ids[rows] -> y[rows, d]
int embedding_fwd_cuda(vq4j_ctx* ctx, const float* table, const int* ids, float* y, int rows, int d, int k) {
  VQ4J_TRY(check_indices_cuda(ctx, "embedding_fwd", "ids", ids, rows, k));
  const long long count = static_cast<long long>(rows) * d;
  embedding_gather<<<grid_for(count), kBlockThreads, 0, stream_of(ctx)>>>(table, ids, y, count, d, k);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "embedding_gather");
  return VQ4J_OK;
}

// ids[rows], dy[rows, d] -> dtable[k, d] (every element written: no memset needed)
int embedding_bwd_cuda(vq4j_ctx* ctx, const int* ids, const float* dy, float* dtable, int rows, int d,
                       int k) {
  VQ4J_TRY(check_indices_cuda(ctx, "embedding_bwd", "ids", ids, rows, k));
  return launch_sum_rows_by_code(ctx, ids, rows, d, k, EmbeddingGrad{dy, dtable, d});
}

}  // namespace vq4j
