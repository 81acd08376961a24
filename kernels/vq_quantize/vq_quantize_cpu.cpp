// CPU quantizer: nearest code by a BLAS distance product, its loss, gradients and usage statistics.
#include "vq_quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "index_check.h"
#include "losses/losses.h"
#include "scatter_by_code.h"
#include "sgemm.h"
#include "vector_clones.h"

namespace vq4j {
namespace {

// The [block, k] distance buffer stays within this, so scratch does not grow with the batch.
constexpr size_t kDistanceBytes = size_t{16} << 20;

}  // namespace

// z_e[rows, d], codebook[k, d] -> codes[rows], z_q[rows, d]
VQ4J_VECTOR_CLONES
int vq_quantize_fwd_cpu(vq4j_ctx* ctx, const float* z_e, const float* codebook, int* codes, float* z_q,
                        int rows, int d, int k) {
  // A non-finite latent has no nearest code (NaN distances would all lose and pick code 0): say where
  // it is rather than hand out codes that do not describe the input.
  const size_t values = static_cast<size_t>(rows) * d;
  for (size_t i = 0; i < values; ++i) {
    if (!std::isfinite(z_e[i])) {
      return VQ4J_FAIL(ctx, VQ4J_ERR_NONFINITE, "z_e row %zu holds a non-finite value (%g at column %zu)",
                       i / d, static_cast<double>(z_e[i]), i % d);
    }
  }
  const size_t row_bytes = sizeof(float) * static_cast<size_t>(k);
  const int block = static_cast<int>(
      std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(rows), kDistanceBytes / row_bytes)));
  // One scratch buffer per context: the codebook norms first (padded to a cache line), then the distances.
  const size_t norm_bytes = (row_bytes + 63) / 64 * 64;
  char* work = static_cast<char*>(scratch(ctx, norm_bytes + row_bytes * block));
  if (work == nullptr) return VQ4J_ERR_MEMORY;
  float* norms = reinterpret_cast<float*>(work);
  float* dist = reinterpret_cast<float*>(work + norm_bytes);

#pragma omp parallel for if (static_cast<long long>(k) * d > 32768) schedule(static)
  for (int j = 0; j < k; ++j) {
    const float* e = codebook + static_cast<size_t>(j) * d;
    double s = 0.0;
    for (int c = 0; c < d; ++c) s += static_cast<double>(e[c]) * e[c];
    norms[j] = static_cast<float>(s);
  }

  for (int r0 = 0; r0 < rows; r0 += block) {
    const int n = std::min(block, rows - r0);
    // dist = -2 z e^T; ||z_r||^2 is the same for every code of a row, so the argmin can ignore it.
    sgemm(false, true, n, k, d, -2.0f, z_e + static_cast<size_t>(r0) * d,
                d, codebook, d, 0.0f, dist, k);
#pragma omp parallel for if (static_cast<long long>(n) * k > 32768) schedule(static)
    for (int i = 0; i < n; ++i) {
      const float* dr = dist + static_cast<size_t>(i) * k;
      // Strict < over ascending j keeps the lowest index on ties; a row whose distances are all NaN or
      // +inf gets code 0, as the CUDA kernel does.
      float best = std::numeric_limits<float>::infinity();
      int best_j = 0;
      for (int j = 0; j < k; ++j) {
        const float dj = norms[j] + dr[j];
        if (dj < best) {
          best = dj;
          best_j = j;
        }
      }
      const int r = r0 + i;
      codes[r] = best_j;
      std::memcpy(z_q + static_cast<size_t>(r) * d, codebook + static_cast<size_t>(best_j) * d,
                  sizeof(float) * d);
    }
  }
  return VQ4J_OK;
}

// z_e[rows, d], z_q[rows, d] -> loss[1]
VQ4J_VECTOR_CLONES
int vq_loss_cpu(vq4j_ctx* ctx, const float* z_e, const float* z_q, float* loss, int rows, int d) {
  return mse_fwd_cpu(ctx, z_e, z_q, loss, static_cast<long long>(rows) * d);
}

// z_e[rows, d], z_q[rows, d], codes[rows], dz_q[rows, d] -> dz_e[rows, d], dcodebook[k, d] (optional)
VQ4J_VECTOR_CLONES
int vq_quantize_bwd_cpu(vq4j_ctx* ctx, const float* z_e, const float* z_q, const int* codes,
                        const float* dz_q, float* dz_e, float* dcodebook, float beta, float codebook_weight,
                        int rows, int d, int k) {
  const long long count = static_cast<long long>(rows) * d;
  const double inv_count = 1.0 / static_cast<double>(count);
  if (dcodebook != nullptr) {
    VQ4J_TRY(check_indices(ctx, "codes", codes, rows, k));
    const float scale = static_cast<float>(2.0 * codebook_weight * inv_count);
    scatter_by_code(
        codes, rows, k, count > 32768,
        [&](int lo, int hi) {
          std::memset(dcodebook + static_cast<size_t>(lo) * d, 0, sizeof(float) * d * (hi - lo));
        },
        [&](int r, int j) {
          float* g = dcodebook + static_cast<size_t>(j) * d;
          const float* zq = z_q + static_cast<size_t>(r) * d;
          const float* ze = z_e + static_cast<size_t>(r) * d;
          for (int c = 0; c < d; ++c) g[c] += scale * (zq[c] - ze[c]);
        });
  }
  const float commit = static_cast<float>(2.0 * beta * inv_count);
#pragma omp parallel for if (count > 32768) schedule(static)
  for (long long i = 0; i < count; ++i) dz_e[i] = dz_q[i] + commit * (z_e[i] - z_q[i]);
  return VQ4J_OK;
}

// counts[k] -> perplexity[1]
int vq_stats_cpu(vq4j_ctx*, const float* counts, float* perplexity, int k) {
  double total = 0.0;
  for (int j = 0; j < k; ++j) total += counts[j];
  double entropy = 0.0;
  for (int j = 0; j < k; ++j) {
    if (counts[j] == 0.0f) continue;  // 0 ln 0 = 0
    const double p = static_cast<double>(counts[j]) / total;
    entropy -= p * std::log(p);
  }
  perplexity[0] = static_cast<float>(std::exp(entropy));
  return VQ4J_OK;
}

}  // namespace vq4j
