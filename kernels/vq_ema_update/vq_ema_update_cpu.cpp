// CPU EMA codebook update (Sonnet VectorQuantizerEMA without zero-debiasing).
#include "vq_ema_update.h"

#include <cstring>

#include "index_check.h"
#include "scatter_by_code.h"
#include "vector_clones.h"

namespace vq4j {

// z_e[rows, d], codes[rows] -> ema_count[k], ema_sum[k, d], codebook[k, d] (all three updated in place)
VQ4J_VECTOR_CLONES
int vq_ema_update_cpu(vq4j_ctx* ctx, const float* z_e, const int* codes, float* ema_count, float* ema_sum,
                      float* codebook, float gamma, float eps, int rows, int d, int k) {
  VQ4J_TRY(check_indices(ctx, "codes", codes, rows, k));
  // Per-code row counts and sums of this batch, in double so that a popular code's sum over many rows
  // loses nothing before the EMA blends it in.
  const size_t kd = static_cast<size_t>(k) * d;
  double* batch_sum = static_cast<double*>(scratch(ctx, sizeof(double) * (kd + k)));
  if (batch_sum == nullptr) return VQ4J_ERR_MEMORY;
  double* batch_count = batch_sum + kd;
  const double keep = gamma;
  const double blend = 1.0 - keep;
  const bool parallel = static_cast<long long>(rows) * d > 32768 || kd > 32768;

  scatter_by_code(
      codes, rows, k, parallel,
      [&](int lo, int hi) {
        std::memset(batch_sum + static_cast<size_t>(lo) * d, 0, sizeof(double) * d * (hi - lo));
        std::memset(batch_count + lo, 0, sizeof(double) * (hi - lo));
      },
      [&](int r, int j) {
        double* s = batch_sum + static_cast<size_t>(j) * d;
        const float* z = z_e + static_cast<size_t>(r) * d;
        for (int c = 0; c < d; ++c) s[c] += z[c];
        batch_count[j] += 1.0;
      });
#pragma omp parallel for if (parallel) schedule(static)
  for (int j = 0; j < k; ++j) {
    ema_count[j] = static_cast<float>(keep * ema_count[j] + blend * batch_count[j]);
    float* es = ema_sum + static_cast<size_t>(j) * d;
    const double* s = batch_sum + static_cast<size_t>(j) * d;
    for (int c = 0; c < d; ++c) es[c] = static_cast<float>(keep * es[c] + blend * s[c]);
  }

  double total = 0.0;
  for (int j = 0; j < k; ++j) total += ema_count[j];
  // Laplace smoothing keeps a code that no row picked lately from a division by zero.
  const double norm = total / (total + static_cast<double>(k) * eps);
#pragma omp parallel for if (parallel) schedule(static)
  for (int j = 0; j < k; ++j) {
    const double smoothed = (static_cast<double>(ema_count[j]) + eps) * norm;
    const float* es = ema_sum + static_cast<size_t>(j) * d;
    float* e = codebook + static_cast<size_t>(j) * d;
    for (int c = 0; c < d; ++c) e[c] = static_cast<float>(es[c] / smoothed);
  }
  return VQ4J_OK;
}

}  // namespace vq4j
