// CPU losses: mean squared error and softmax cross-entropy, the reference (the softmax cross-entropy's fast
// path is softmax_xent_lanes_cpu.cpp).
#include "losses.h"

#include <cmath>

#include "index_check.h"
#include "ordered_sum_cpu.h"
#include "vec_math_cpu.h"
#include "vector_clones.h"

namespace vq4j {
namespace {

// ln sum_j exp(x[j]), shifted by the maximum so that no exp overflows. The exps are taken a block at a time
// into a buffer (a loop that vectorises) and summed in double in index order (a sum GCC must not reorder).
inline double log_sum_exp(const float* x, int k) {
  constexpr int kBlock = 256;
  float mx = x[0];
  for (int j = 1; j < k; ++j) mx = x[j] > mx ? x[j] : mx;
  float e[kBlock];
  double s = 0.0;
  for (int j0 = 0; j0 < k; j0 += kBlock) {
    const int n = k - j0 < kBlock ? k - j0 : kBlock;
    for (int j = 0; j < n; ++j) e[j] = vexp(x[j0 + j] - mx);
    for (int j = 0; j < n; ++j) s += e[j];
  }
  return mx + std::log(s);
}

}  // namespace

// pred[count], target[count] -> loss[1]
VQ4J_VECTOR_CLONES
int mse_fwd_cpu(vq4j_ctx* ctx, const float* pred, const float* target, float* loss, long long count) {
  double sum = 0.0;
  VQ4J_TRY(ordered_sum<16384>(
      ctx, count,
      [=](long long i) {
        const double diff = static_cast<double>(pred[i]) - target[i];
        return diff * diff;
      },
      &sum));
  loss[0] = static_cast<float>(sum / static_cast<double>(count));
  return VQ4J_OK;
}

// pred[count], target[count] -> dpred[count]
VQ4J_VECTOR_CLONES
int mse_bwd_cpu(vq4j_ctx*, const float* pred, const float* target, float* dpred, float scale,
                long long count) {
  const float factor = static_cast<float>(2.0 * scale / static_cast<double>(count));
#pragma omp parallel for if (count > 32768) schedule(static)
  for (long long i = 0; i < count; ++i) dpred[i] = factor * (pred[i] - target[i]);
  return VQ4J_OK;
}

// logits[rows, k], targets[rows] -> loss[1], nll[rows] (optional)
VQ4J_VECTOR_CLONES
int softmax_xent_fwd_cpu(vq4j_ctx* ctx, const float* logits, const int* targets, float* loss, float* nll,
                         int rows, int k) {
  VQ4J_TRY(check_indices(ctx, "targets", targets, rows, k));
  return mean_over_rows(
      ctx, rows,
      [=](long long r) {
        const float* x = logits + static_cast<size_t>(r) * k;
        return log_sum_exp(x, k) - x[targets[r]];
      },
      nll, loss);
}

// logits[rows, k], targets[rows] -> dlogits[rows, k]
VQ4J_VECTOR_CLONES
int softmax_xent_bwd_cpu(vq4j_ctx* ctx, const float* logits, const int* targets, float* dlogits, float scale,
                         int rows, int k) {
  VQ4J_TRY(check_indices(ctx, "targets", targets, rows, k));
  const double factor = static_cast<double>(scale) / rows;
#pragma omp parallel for if (static_cast<long long>(rows) * k > 32768) schedule(static)
  for (int r = 0; r < rows; ++r) {
    const float* x = logits + static_cast<size_t>(r) * k;
    float* dx = dlogits + static_cast<size_t>(r) * k;
    // One exp per logit: exp(x - max) is kept in dx, then scaled by the row's sum (the softmax).
    float mx = x[0];
    for (int j = 1; j < k; ++j) mx = x[j] > mx ? x[j] : mx;
    for (int j = 0; j < k; ++j) dx[j] = vexp(x[j] - mx);
    double s = 0.0;
    for (int j = 0; j < k; ++j) s += dx[j];
    const double scale_row = factor / s;
    const int t = targets[r];
    for (int j = 0; j < k; ++j) dx[j] = static_cast<float>(scale_row * dx[j] - (j == t ? factor : 0.0));
  }
  return VQ4J_OK;
}

}  // namespace vq4j
