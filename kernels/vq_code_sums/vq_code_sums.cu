// CUDA per-code counts and sums. Counts: an integer histogram (shared-memory bins per block for k up to
// kSharedBins, global atomics above), converted to float by one grid-stride pass. Sums: the per-code row
// scan of sum_by_code.cuh in double and row order, the CPU reference's operations in its order, so the sums
// are its bits. A code outside [0, k) is counted nowhere and reported at the next synchronisation
// (index_check_cuda.h).
#include "cuda_check.cuh"
#include "cuda_launch.cuh"
#include "index_check_cuda.h"
#include "sum_by_code.cuh"
#include "vq_code_sums.h"

namespace vq4j {
namespace {

// Codes with a per-block shared-memory tally fit up to this k (32 KB of shared memory).
constexpr int kSharedBins = 8192;
constexpr int kHistogramBlocks = 64;

// codes[rows] -> tally[k] += uses (tally zeroed before). Integer atomics: the counts do not depend on
// their order. Each block tallies its rows in shared memory, then adds its non-zero bins once.
__global__ void code_histogram_shared(const int* __restrict__ codes, int rows, int k, int* __restrict__ tally) {
  extern __shared__ int bins[];
  for (int j = threadIdx.x; j < k; j += blockDim.x) bins[j] = 0;
  __syncthreads();
  for (long long r = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; r < rows;
       r += static_cast<long long>(gridDim.x) * blockDim.x) {
    const int j = codes[r];
    if (j >= 0 && j < k) atomicAdd(&bins[j], 1);
  }
  __syncthreads();
  for (int j = threadIdx.x; j < k; j += blockDim.x)
    if (bins[j] != 0) atomicAdd(&tally[j], bins[j]);
}

// The same for a k too large for shared memory: straight to global memory.
__global__ void code_histogram_global(const int* __restrict__ codes, int rows, int k, int* __restrict__ tally) {
  for (long long r = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; r < rows;
       r += static_cast<long long>(gridDim.x) * blockDim.x) {
    const int j = codes[r];
    if (j >= 0 && j < k) atomicAdd(&tally[j], 1);
  }
}

__global__ void tally_to_counts(const int* __restrict__ tally, float* __restrict__ counts, int k) {
  for (long long j = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; j < k;
       j += static_cast<long long>(gridDim.x) * blockDim.x)
    counts[j] = static_cast<float>(tally[j]);
}

// sums[j, c] = sum of z_e[r, c] over the rows with code j, in double and row order, rounded once.
struct CodeSums {
  using Acc = double;
  const float* z_e;
  float* sums;
  int d;
  __device__ double add(double acc, long long r, int c) const {
    return __dadd_rn(acc, static_cast<double>(z_e[r * d + c]));
  }
  __device__ void store(int j, int c, double sum) const { sums[static_cast<long long>(j) * d + c] = static_cast<float>(sum); }
  __device__ void store_count(int, int) const {}
};

}  // namespace

// codes[rows] (, z_e[rows, d]) -> counts[k] (, sums[k, d]), all in device memory
int vq_code_sums_cuda(vq4j_ctx* ctx, const int* codes, const float* z_e, float* counts, float* sums, int rows,
                      int d, int k) {
  int* tally = static_cast<int*>(scratch(ctx, sizeof(int) * static_cast<size_t>(k)));
  if (tally == nullptr) return VQ4J_ERR_MEMORY;
  VQ4J_TRY(check_indices_cuda(ctx, "vq_code_sums", "codes", codes, rows, k));
  // Integer tallies, as on the CPU: a float count stops being exact past 2^24 rows.
  const cudaStream_t stream = stream_of(ctx);
  VQ4J_CUDA_CHECK(ctx, cudaMemsetAsync(tally, 0, sizeof(int) * static_cast<size_t>(k), stream));
  const int blocks = grid_for(rows, kBlockThreads, kHistogramBlocks);
  if (k <= kSharedBins) {
    code_histogram_shared<<<blocks, kBlockThreads, sizeof(int) * static_cast<size_t>(k), stream>>>(codes, rows,
                                                                                                  k, tally);
    VQ4J_CUDA_CHECK_LAUNCH(ctx, "code_histogram_shared");
  } else {
    code_histogram_global<<<blocks, kBlockThreads, 0, stream>>>(codes, rows, k, tally);
    VQ4J_CUDA_CHECK_LAUNCH(ctx, "code_histogram_global");
  }
  tally_to_counts<<<grid_for(k), kBlockThreads, 0, stream>>>(tally, counts, k);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "tally_to_counts");
  if (sums == nullptr) return VQ4J_OK;
  return launch_sum_rows_by_code(ctx, codes, rows, d, k, CodeSums{z_e, sums, d});
}

}  // namespace vq4j
