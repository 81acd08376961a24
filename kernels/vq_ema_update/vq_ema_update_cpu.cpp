// CPU EMA codebook update (Sonnet VectorQuantizerEMA without zero-debiasing).
#include "vq_ema_update.h"

#include "vector_clones.h"

namespace vq4j {

// counts[k], sums[k, d] -> ema_count[k], ema_sum[k, d], codebook[k, d] (all three updated in place)
VQ4J_VECTOR_CLONES
int vq_ema_update_cpu(vq4j_ctx*, const float* counts, const float* sums, float* ema_count, float* ema_sum,
                      float* codebook, float gamma, float eps, int d, int k) {
  const double keep = gamma;
  const double blend = 1.0 - keep;
  const size_t kd = static_cast<size_t>(k) * d;
  const bool parallel = kd > 32768;
#pragma omp parallel for if (parallel) schedule(static)
  for (int j = 0; j < k; ++j) {
    ema_count[j] = static_cast<float>(keep * ema_count[j] + blend * counts[j]);
    float* es = ema_sum + static_cast<size_t>(j) * d;
    const float* s = sums + static_cast<size_t>(j) * d;
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
