// CUDA EMA codebook update (Sonnet VectorQuantizerEMA without zero-debiasing, Laplace-smoothed counts),
// in three launches after the device-side check of the codes. The check is reported only at the next
// synchronisation (index_check_cuda.h), so the launches that write the state read its verdict and change
// nothing when a code was bad: the state stays as it was, as on the CPU.
//   1. the per-code row scan of sum_by_code.cuh sums each code's rows in double, in row order, and blends
//      the batch sums and counts into ema_sum and ema_count at once (the thread that owns (j, c) is the
//      only one that touches ema_sum[j, c]; the one that owns (j, 0) also owns ema_count[j]);
//   2. one block sums ema_count in ascending j (the CPU's order) and forms the smoothing factor;
//   3. a grid-stride loop writes codebook = ema_sum / smoothed count.
// Every double operation is spelled with a round-to-nearest intrinsic so that nvcc cannot fuse a product
// into a sum: the update is the CPU reference's, operation for operation and in the same order.
#include "cuda_check.cuh"
#include "cuda_launch.cuh"
#include "index_check_cuda.h"
#include "sum_by_code.cuh"
#include "vq_ema_update.h"

namespace vq4j {
namespace {

// ema_sum[j, c] = keep ema_sum[j, c] + blend (sum of z_e[r, c] over rows with code j), and
// ema_count[j] = keep ema_count[j] + blend n_j; neither when *verdict (the codes' check) is non-zero.
struct EmaBlend {
  using Acc = double;
  const float* z_e;
  float* ema_sum;
  float* ema_count;
  const unsigned long long* verdict;
  double keep;
  double blend;
  int d;
  __device__ double add(double acc, long long r, int c) const {
    return __dadd_rn(acc, static_cast<double>(z_e[r * d + c]));
  }
  __device__ void store(int j, int c, double sum) const {
    if (*verdict != 0) return;
    float* es = ema_sum + static_cast<long long>(j) * d + c;
    *es = static_cast<float>(__dadd_rn(__dmul_rn(keep, static_cast<double>(*es)), __dmul_rn(blend, sum)));
  }
  __device__ void store_count(int j, int n) const {
    if (*verdict != 0) return;
    ema_count[j] = static_cast<float>(
        __dadd_rn(__dmul_rn(keep, static_cast<double>(ema_count[j])), __dmul_rn(blend, static_cast<double>(n))));
  }
};

// ema_count[k] -> norm[0] = total / (total + k eps), total = sum_j ema_count[j] in ascending j. One block:
// the counts are staged in shared memory, thread 0 adds them in order.
__global__ void __launch_bounds__(kBlockThreads)
    ema_norm(const float* __restrict__ ema_count, int k, float eps, double* __restrict__ norm) {
  __shared__ float staged[kBlockThreads];
  double total = 0.0;  // thread 0's is the one that counts
  for (long long j0 = 0; j0 < k; j0 += kBlockThreads) {
    const long long j = j0 + threadIdx.x;
    staged[threadIdx.x] = j < k ? ema_count[j] : 0.0f;
    __syncthreads();
    if (threadIdx.x == 0) {
      const int m = k - j0 < kBlockThreads ? static_cast<int>(k - j0) : kBlockThreads;
      for (int i = 0; i < m; ++i) total = __dadd_rn(total, static_cast<double>(staged[i]));
    }
    __syncthreads();  // before the next chunk overwrites staged
  }
  if (threadIdx.x == 0)
    norm[0] = __ddiv_rn(total, __dadd_rn(total, __dmul_rn(static_cast<double>(k), static_cast<double>(eps))));
}

// codebook[j, c] = ema_sum[j, c] / ((ema_count[j] + eps) norm), one thread per element e = j * d + c;
// nothing when *verdict is non-zero.
__global__ void ema_codebook(const float* __restrict__ ema_count, const float* __restrict__ ema_sum,
                             const double* __restrict__ norm, const unsigned long long* __restrict__ verdict,
                             float* __restrict__ codebook, float eps, long long count, int d) {
  if (*verdict != 0) return;
  const double n = norm[0];
  for (long long e = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; e < count;
       e += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long j = e / d;
    const double smoothed = __dmul_rn(__dadd_rn(static_cast<double>(ema_count[j]), static_cast<double>(eps)), n);
    codebook[e] = static_cast<float>(__ddiv_rn(static_cast<double>(ema_sum[e]), smoothed));
  }
}

}  // namespace

// z_e[rows, d], codes[rows] -> ema_count[k], ema_sum[k, d], codebook[k, d] (all three updated in place)
int vq_ema_update_cuda(vq4j_ctx* ctx, const float* z_e, const int* codes, float* ema_count, float* ema_sum,
                       float* codebook, float gamma, float eps, int rows, int d, int k) {
  double* norm = static_cast<double*>(scratch(ctx, sizeof(double)));
  if (norm == nullptr) return VQ4J_ERR_MEMORY;
  const unsigned long long* verdict = nullptr;
  VQ4J_TRY(check_indices_cuda(ctx, "vq_ema_update", "codes", codes, rows, k, &verdict));
  const double keep = gamma;
  const double blend = 1.0 - keep;
  VQ4J_TRY(launch_sum_rows_by_code(ctx, codes, rows, d, k,
                                   EmaBlend{z_e, ema_sum, ema_count, verdict, keep, blend, d}));
  const cudaStream_t stream = stream_of(ctx);
  ema_norm<<<1, kBlockThreads, 0, stream>>>(ema_count, k, eps, norm);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "ema_norm");
  const long long count = static_cast<long long>(k) * d;
  ema_codebook<<<grid_for(count), kBlockThreads, 0, stream>>>(ema_count, ema_sum, norm, verdict, codebook,
                                                              eps, count, d);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "ema_codebook");
  return VQ4J_OK;
}

}  // namespace vq4j
