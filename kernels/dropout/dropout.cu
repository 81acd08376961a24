// CUDA inverted dropout: one thread per element, the mask from the counter hash as on the CPU, so both
// backends give the same bits (one multiply by the same float scale).
#include "cuda_check.cuh"
#include "cuda_launch.cuh"
#include "dropout.h"

namespace vq4j {
namespace {

// x[count] -> y[count]
__global__ void dropout_kernel(const float* __restrict__ x, float* y, long long count, float p, float scale,
                               unsigned long long key) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<long long>(gridDim.x) * blockDim.x)
    y[i] = dropout_keeps(key, i, p) ? __fmul_rn(x[i], scale) : 0.0f;
}

}  // namespace

int dropout_cuda(vq4j_ctx* ctx, const float* x, float* y, long long count, float p, unsigned long long key) {
  if (count == 0) return VQ4J_OK;  // a zero-block grid is an invalid launch
  const float scale = 1.0f / (1.0f - p);
  dropout_kernel<<<grid_for(count), kBlockThreads, 0, stream_of(ctx)>>>(x, y, count, p, scale, key);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "dropout_kernel");
  return VQ4J_OK;
}

}  // namespace vq4j
