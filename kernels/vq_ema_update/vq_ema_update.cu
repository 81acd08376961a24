// CUDA EMA codebook update (Sonnet VectorQuantizerEMA without zero-debiasing, Laplace-smoothed counts),
// in three launches:
//   1. a grid-stride loop blends the batch's counts and sums (vq_code_sums) into ema_count and ema_sum;
//   2. one block sums ema_count in ascending j (the CPU's order) and forms the smoothing factor;
//   3. a grid-stride loop writes codebook = ema_sum / smoothed count.
// Every double operation is spelled with a round-to-nearest intrinsic so that nvcc cannot fuse a product
// into a sum: the update is the CPU reference's, operation for operation and in the same order.
#include "cuda_check.cuh"
#include "cuda_launch.cuh"
#include "vq_ema_update.h"

namespace vq4j {
namespace {

// ema_sum[e] = keep ema_sum[e] + blend sums[e] over the k * d elements, and ema_count[j] = keep ema_count[j] +
// blend counts[j] for the first k.
__global__ void ema_blend(const float* __restrict__ counts, const float* __restrict__ sums,
                          float* __restrict__ ema_count, float* __restrict__ ema_sum, double keep, double blend,
                          long long count, int k) {
  for (long long e = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; e < count;
       e += static_cast<long long>(gridDim.x) * blockDim.x) {
    ema_sum[e] = static_cast<float>(
        __dadd_rn(__dmul_rn(keep, static_cast<double>(ema_sum[e])), __dmul_rn(blend, static_cast<double>(sums[e]))));
    if (e < k)
      ema_count[e] = static_cast<float>(__dadd_rn(__dmul_rn(keep, static_cast<double>(ema_count[e])),
                                                  __dmul_rn(blend, static_cast<double>(counts[e]))));
  }
}

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

// codebook[j, c] = ema_sum[j, c] / ((ema_count[j] + eps) norm), one thread per element e = j * d + c.
__global__ void ema_codebook(const float* __restrict__ ema_count, const float* __restrict__ ema_sum,
                             const double* __restrict__ norm, float* __restrict__ codebook, float eps,
                             long long count, int d) {
  const double n = norm[0];
  for (long long e = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; e < count;
       e += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long j = e / d;
    const double smoothed = __dmul_rn(__dadd_rn(static_cast<double>(ema_count[j]), static_cast<double>(eps)), n);
    codebook[e] = static_cast<float>(__ddiv_rn(static_cast<double>(ema_sum[e]), smoothed));
  }
}

}  // namespace

// counts[k], sums[k, d] -> ema_count[k], ema_sum[k, d], codebook[k, d] (all three updated in place)
int vq_ema_update_cuda(vq4j_ctx* ctx, const float* counts, const float* sums, float* ema_count, float* ema_sum,
                       float* codebook, float gamma, float eps, int d, int k) {
  double* norm = static_cast<double*>(scratch(ctx, sizeof(double)));
  if (norm == nullptr) return VQ4J_ERR_MEMORY;
  const double keep = gamma;
  const double blend = 1.0 - keep;
  const cudaStream_t stream = stream_of(ctx);
  const long long count = static_cast<long long>(k) * d;
  ema_blend<<<grid_for(count), kBlockThreads, 0, stream>>>(counts, sums, ema_count, ema_sum, keep, blend, count, k);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "ema_blend");
  ema_norm<<<1, kBlockThreads, 0, stream>>>(ema_count, k, eps, norm);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "ema_norm");
  ema_codebook<<<grid_for(count), kBlockThreads, 0, stream>>>(ema_count, ema_sum, norm, codebook, eps, count, d);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "ema_codebook");
  return VQ4J_OK;
}

}  // namespace vq4j
