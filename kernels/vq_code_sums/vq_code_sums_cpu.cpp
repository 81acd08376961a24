// CPU per-code counts and sums: the reference of vq_code_sums.cu.
#include "vq_code_sums.h"

#include <cstring>

#include "index_check.h"
#include "scatter_by_code.h"
#include "vector_clones.h"

namespace vq4j {

// codes[rows] (, z_e[rows, d]) -> counts[k] (, sums[k, d])
VQ4J_VECTOR_CLONES
int vq_code_sums_cpu(vq4j_ctx* ctx, const int* codes, const float* z_e, float* counts, float* sums, int rows, int d,
                     int k) {
  VQ4J_TRY(check_indices(ctx, "codes", codes, rows, k));
  // Integer tallies: a float count stops being exact past 2^24 rows.
  int* tally = static_cast<int*>(scratch(ctx, sizeof(int) * static_cast<size_t>(k)));
  if (tally == nullptr) return VQ4J_ERR_MEMORY;
  std::memset(tally, 0, sizeof(int) * static_cast<size_t>(k));
  for (int r = 0; r < rows; ++r) ++tally[codes[r]];
  for (int j = 0; j < k; ++j) counts[j] = static_cast<float>(tally[j]);
  if (sums == nullptr) return VQ4J_OK;

  // In double, so that a popular code's sum over many rows loses nothing before its one rounding.
  const size_t kd = static_cast<size_t>(k) * d;
  double* acc = static_cast<double*>(scratch(ctx, sizeof(double) * kd));
  if (acc == nullptr) return VQ4J_ERR_MEMORY;
  const bool parallel = static_cast<long long>(rows) * d > 32768 || kd > 32768;
  scatter_by_code(
      codes, rows, k, parallel,
      [&](int lo, int hi) { std::memset(acc + static_cast<size_t>(lo) * d, 0, sizeof(double) * d * (hi - lo)); },
      [&](int r, int j) {
        double* s = acc + static_cast<size_t>(j) * d;
        const float* z = z_e + static_cast<size_t>(r) * d;
        for (int c = 0; c < d; ++c) s[c] += z[c];
      });
#pragma omp parallel for if (parallel) schedule(static)
  for (long long i = 0; i < static_cast<long long>(kd); ++i) sums[i] = static_cast<float>(acc[i]);
  return VQ4J_OK;
}

}  // namespace vq4j
