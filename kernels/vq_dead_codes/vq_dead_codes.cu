// CUDA dead-code tracking and restart: one block walks the k codes (k is a few thousand at most, and the
// op runs once per step), each thread owning codes j = tid, tid + blockDim, ...; the dead count is an
// integer block reduction, so it does not depend on scheduling. The usage update is spelled with
// round-to-nearest double intrinsics so that nvcc cannot contract it into an fma: the CPU's bits.
#include "cuda_check.cuh"
#include "cuda_launch.cuh"
#include "vq_dead_codes.h"

namespace vq4j {
namespace {

__global__ void dead_codes_kernel(const float* __restrict__ counts, float* __restrict__ usage,
                                  const float* __restrict__ candidates, float* __restrict__ codebook,
                                  float* __restrict__ ema_count, float* __restrict__ ema_sum,
                                  int* __restrict__ restarted, float* __restrict__ dead, int d, int k,
                                  double decay, float threshold, int restart) {
  __shared__ int partial[kBlockThreads];
  int n_dead = 0;
  for (int j = threadIdx.x; j < k; j += blockDim.x) {
    const float u = static_cast<float>(
        __dadd_rn(__dmul_rn(decay, static_cast<double>(usage[j])), __dmul_rn(1.0 - decay, counts[j])));
    const bool is_dead = u < threshold;
    n_dead += is_dead;
    const bool reset = is_dead && restart;
    restarted[j] = reset;
    usage[j] = reset ? 1.0f : u;
    if (!reset) continue;
    const float* row = candidates + static_cast<long long>(j) * d;
    float* e = codebook + static_cast<long long>(j) * d;
    float* m = ema_sum == nullptr ? nullptr : ema_sum + static_cast<long long>(j) * d;
    for (int c = 0; c < d; ++c) {
      e[c] = row[c];
      if (m != nullptr) m[c] = row[c];
    }
    if (ema_count != nullptr) ema_count[j] = 1.0f;
  }
  partial[threadIdx.x] = n_dead;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s /= 2) {
    if (threadIdx.x < s) partial[threadIdx.x] += partial[threadIdx.x + s];
    __syncthreads();
  }
  if (threadIdx.x == 0) dead[0] = static_cast<float>(partial[0]);
}

}  // namespace

int vq_dead_codes_cuda(vq4j_ctx* ctx, const float* counts, float* usage, const float* candidates, float* codebook,
                       float* ema_count, float* ema_sum, int* restarted, float* dead, int d, int k, double decay,
                       float threshold, int restart) {
  dead_codes_kernel<<<1, kBlockThreads, 0, stream_of(ctx)>>>(counts, usage, candidates, codebook, ema_count,
                                                             ema_sum, restarted, dead, d, k, decay, threshold,
                                                             restart);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "dead_codes_kernel");
  return VQ4J_OK;
}

}  // namespace vq4j
