// CUDA losses. The scalar losses stay on the device (loss[0] is device memory) and are deterministic:
// per-term values in double, summed by the fixed-order two-pass reduction of cuda_reduce.cuh, no atomics.
// Softmax cross-entropy gives each row to one warp: a max over the row (exact in any order), then
// sum exp(x - max) in double, each lane striding the row and the warp combining its 32 lane sums by a
// fixed xor butterfly (every lane ends with the same bits).
#include <math_constants.h>

#include "cuda_check.cuh"
#include "cuda_launch.cuh"
#include "cuda_reduce.cuh"
#include "index_check_cuda.h"
#include "losses.h"

namespace vq4j {
namespace {

constexpr unsigned kFullWarp = 0xffffffffu;
constexpr int kWarp = 32;

// ln sum_j exp(x[j]) over x[k], shifted by the row maximum; every lane of the warp must call it, and
// every lane gets the same value.
__device__ __forceinline__ double warp_log_sum_exp(const float* __restrict__ x, int k, int lane) {
  float mx = -CUDART_INF_F;
  for (int j = lane; j < k; j += kWarp) mx = fmaxf(mx, x[j]);
  for (int offset = kWarp / 2; offset > 0; offset /= 2) mx = fmaxf(mx, __shfl_xor_sync(kFullWarp, mx, offset));
  double s = 0.0;
  for (int j = lane; j < k; j += kWarp) s += exp(static_cast<double>(x[j]) - mx);
  for (int offset = kWarp / 2; offset > 0; offset /= 2) s += __shfl_xor_sync(kFullWarp, s, offset);
  return mx + log(s);
}

// pred[count], target[count] -> dpred[count] = factor (pred - target)
__global__ void mse_bwd_kernel(const float* pred, const float* target, float* dpred, float factor,
                               long long count) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<long long>(gridDim.x) * blockDim.x)
    dpred[i] = factor * (pred[i] - target[i]);
}

// logits[rows, k], targets[rows] -> terms[rows] (double), nll[rows] (optional); one warp per row. A target
// outside [0, k) (reported at the next synchronisation) gives the row a term of 0.
__global__ void xent_rows_kernel(const float* __restrict__ logits, const int* __restrict__ targets,
                                 double* __restrict__ terms, float* __restrict__ nll, int rows, int k) {
  const int lane = threadIdx.x % kWarp;
  const long long warps = static_cast<long long>(gridDim.x) * blockDim.x / kWarp;
  // r is the same for the whole warp (blockDim.x is a multiple of 32), so every shuffle has all 32 lanes.
  for (long long r = (blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x) / kWarp; r < rows;
       r += warps) {
    const float* x = logits + r * k;
    const double lse = warp_log_sum_exp(x, k, lane);
    if (lane == 0) {
      const int t = targets[r];
      const double term = t >= 0 && t < k ? lse - x[t] : 0.0;
      terms[r] = term;
      if (nll != nullptr) nll[r] = static_cast<float>(term);
    }
  }
}

// logits[rows, k], targets[rows] -> dlogits[rows, k] = factor (softmax - onehot); one warp per row. A target
// outside [0, k) gives the row zeros.
__global__ void xent_bwd_kernel(const float* __restrict__ logits, const int* __restrict__ targets,
                                float* __restrict__ dlogits, double factor, int rows, int k) {
  const int lane = threadIdx.x % kWarp;
  const long long warps = static_cast<long long>(gridDim.x) * blockDim.x / kWarp;
  for (long long r = (blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x) / kWarp; r < rows;
       r += warps) {
    const float* x = logits + r * k;
    float* dx = dlogits + r * k;
    const double lse = warp_log_sum_exp(x, k, lane);
    const int t = targets[r];
    const bool valid = t >= 0 && t < k;
    for (int j = lane; j < k; j += kWarp)
      dx[j] = valid ? static_cast<float>(factor * (exp(static_cast<double>(x[j]) - lse) - (j == t ? 1.0 : 0.0)))
                    : 0.0f;
  }
}

}  // namespace

// pred[count], target[count] -> loss[1]
int mse_fwd_cuda(vq4j_ctx* ctx, const float* pred, const float* target, float* loss, long long count) {
  double* partial =
      static_cast<double*>(scratch(ctx, sizeof(double) * static_cast<size_t>(reduce_blocks(count))));
  if (partial == nullptr) return VQ4J_ERR_MEMORY;
  return mean_of(ctx, SquaredDiff{pred, target}, count, partial, loss);
}

// pred[count], target[count] -> dpred[count]
int mse_bwd_cuda(vq4j_ctx* ctx, const float* pred, const float* target, float* dpred, float scale,
                 long long count) {
  // The factor is formed on the host in double and rounded once, exactly as the CPU reference forms it.
  const float factor = static_cast<float>(2.0 * scale / static_cast<double>(count));
  mse_bwd_kernel<<<grid_for(count), kBlockThreads, 0, stream_of(ctx)>>>(pred, target, dpred, factor, count);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "mse_bwd_kernel");
  return VQ4J_OK;
}

// logits[rows, k], targets[rows] -> loss[1], nll[rows] (optional)
int softmax_xent_fwd_cuda(vq4j_ctx* ctx, const float* logits, const int* targets, float* loss, float* nll,
                          int rows, int k) {
  Carve carve;
  const size_t at_terms = carve.add(sizeof(double) * static_cast<size_t>(rows));
  const size_t at_partial = carve.add(sizeof(double) * static_cast<size_t>(reduce_blocks(rows)));
  char* base = static_cast<char*>(scratch(ctx, carve.bytes));
  if (base == nullptr) return VQ4J_ERR_MEMORY;
  VQ4J_TRY(check_indices_cuda(ctx, "softmax_xent_fwd", "targets", targets, rows, k));
  double* terms = reinterpret_cast<double*>(base + at_terms);
  xent_rows_kernel<<<grid_for(static_cast<long long>(rows) * kWarp), kBlockThreads, 0, stream_of(ctx)>>>(
      logits, targets, terms, nll, rows, k);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "xent_rows_kernel");
  return mean_of(ctx, Doubles{terms}, rows, reinterpret_cast<double*>(base + at_partial), loss);
}

// logits[rows, k], targets[rows] -> dlogits[rows, k]
int softmax_xent_bwd_cuda(vq4j_ctx* ctx, const float* logits, const int* targets, float* dlogits,
                          float scale, int rows, int k) {
  VQ4J_TRY(check_indices_cuda(ctx, "softmax_xent_bwd", "targets", targets, rows, k));
  const double factor = static_cast<double>(scale) / rows;
  xent_bwd_kernel<<<grid_for(static_cast<long long>(rows) * kWarp), kBlockThreads, 0, stream_of(ctx)>>>(
      logits, targets, dlogits, factor, rows, k);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "xent_bwd_kernel");
  return VQ4J_OK;
}

}  // namespace vq4j
