// The softmax cross-entropy's CPU fast path (the default CPU context; losses_cpu.cpp stays the reference,
// chosen with VQ4J_OPT_CPU_REFERENCE). The reference takes a row's maximum and sums its exps one element
// after the other, chains of dependent operations GCC must not reorder (no -ffast-math); that ran at
// 0.28-0.36x PyTorch. Here lane l of kLanes takes the elements j = l (mod kLanes) in index order and the
// lanes meet in a fixed tree, so the chains are kLanes wide and vectorise. The structure depends neither on
// the thread count (a row is never split) nor on the instruction set (each clone runs the same lanes, only
// in wider or narrower registers, and -ffp-contract=off keeps each lane's roundings), so the bits are the
// same on every machine and thread count; against the reference only the order of the additions differs.
#include <cmath>

#include "index_check.h"
#include "losses.h"
#include "ordered_sum_cpu.h"
#include "vec_math_cpu.h"
#include "vector_clones.h"

namespace vq4j {
namespace {

constexpr int kLanes = 16;
constexpr int kBlock = 256;  // exps taken at a time into a stack buffer; a multiple of kLanes
static_assert(kBlock % kLanes == 0, "a block must end on a lane boundary so that the lanes continue");

// max_j x[j]. Every lane starts from x[0], so the lanes a short row leaves empty hold one of its values.
inline float lane_max(const float* x, int k) {
  float m[kLanes];
  for (int l = 0; l < kLanes; ++l) m[l] = x[0];
  int j = 0;
  for (; j + kLanes <= k; j += kLanes)
    for (int l = 0; l < kLanes; ++l) m[l] = x[j + l] > m[l] ? x[j + l] : m[l];
  for (int l = 0; j + l < k; ++l) m[l] = x[j + l] > m[l] ? x[j + l] : m[l];
  for (int w = kLanes / 2; w > 0; w /= 2)
    for (int l = 0; l < w; ++l) m[l] = m[l + w] > m[l] ? m[l + w] : m[l];
  return m[0];
}

// Adds e[0, n) into the lanes s, e[j] into s[j % kLanes]; the caller's blocks start on lane 0.
inline void add_lanes(double* s, const float* e, int n) {
  int j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; ++l) s[l] += e[j + l];
  for (int l = 0; j + l < n; ++l) s[l] += e[j + l];
}

// s[0] + ... + s[kLanes - 1] by a fixed pairwise tree.
inline double reduce_lanes(double* s) {
  for (int w = kLanes / 2; w > 0; w /= 2)
    for (int l = 0; l < w; ++l) s[l] += s[l + w];
  return s[0];
}

// -ln softmax(x)[t] = ln sum_j exp(x[j] - max) + max - x[t]. A function of its own so that each clone holds
// the vector code: the OpenMP region that calls it is outlined from the caller and compiled only once.
VQ4J_VECTOR_CLONES
double row_nll(const float* x, int t, int k) {
  const float mx = lane_max(x, k);
  float e[kBlock];
  double s[kLanes] = {};
  for (int j0 = 0; j0 < k; j0 += kBlock) {
    const int n = k - j0 < kBlock ? k - j0 : kBlock;
    for (int j = 0; j < n; ++j) e[j] = vexp(x[j0 + j] - mx);
    add_lanes(s, e, n);
  }
  return mx + std::log(reduce_lanes(s)) - x[t];
}

// dx[k] = factor * (softmax(x) - onehot(t)), one exp per logit kept in dx and then scaled by the row's sum.
VQ4J_VECTOR_CLONES
void row_grad(const float* x, int t, double factor, float* dx, int k) {
  const float mx = lane_max(x, k);
  for (int j = 0; j < k; ++j) dx[j] = vexp(x[j] - mx);
  double s[kLanes] = {};
  add_lanes(s, dx, k);
  // In double and rounded once, as the reference does: at the target, softmax - 1 cancels.
  const double scale_row = factor / reduce_lanes(s);
  const double e_t = dx[t];
  for (int j = 0; j < k; ++j) dx[j] = static_cast<float>(scale_row * dx[j]);
  dx[t] = static_cast<float>(scale_row * e_t - factor);
}

}  // namespace

// logits[rows, k], targets[rows] -> loss[1], nll[rows] (optional)
int softmax_xent_fwd_lanes(vq4j_ctx* ctx, const float* logits, const int* targets, float* loss, float* nll,
                           int rows, int k) {
  VQ4J_TRY(check_indices(ctx, "targets", targets, rows, k));
  return mean_over_rows(
      ctx, rows, [=](long long r) { return row_nll(logits + static_cast<size_t>(r) * k, targets[r], k); }, nll,
      loss);
}

// logits[rows, k], targets[rows] -> dlogits[rows, k]
int softmax_xent_bwd_lanes(vq4j_ctx* ctx, const float* logits, const int* targets, float* dlogits, float scale,
                           int rows, int k) {
  VQ4J_TRY(check_indices(ctx, "targets", targets, rows, k));
  const double factor = static_cast<double>(scale) / rows;
#pragma omp parallel for if (static_cast<long long>(rows) * k > 32768) schedule(static)
  for (int r = 0; r < rows; ++r)
    row_grad(logits + static_cast<size_t>(r) * k, targets[r], factor, dlogits + static_cast<size_t>(r) * k, k);
  return VQ4J_OK;
}

}  // namespace vq4j
