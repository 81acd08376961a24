// CPU embedding lookup and its gradient.
#include "embedding.h"

#include "index_check.h"

#include <cstring>

#include <omp.h>

namespace vq4j {
// table[k, d], ids[rows] -> y[rows, d]
int embedding_fwd_cpu(vq4j_ctx* ctx, const float* table, const int* ids, float* y, int rows, int d, int k) {
  VQ4J_TRY(check_indices(ctx, "ids", ids, rows, k));
#pragma omp parallel for if (static_cast<long long>(rows) * d > 32768) schedule(static)
  for (int r = 0; r < rows; ++r)
    std::memcpy(y + static_cast<size_t>(r) * d, table + static_cast<size_t>(ids[r]) * d, sizeof(float) * d);
  return VQ4J_OK;
}

// ids[rows], dy[rows, d] -> dtable[k, d]
int embedding_bwd_cpu(vq4j_ctx* ctx, const int* ids, const float* dy, float* dtable, int rows, int d, int k) {
  VQ4J_TRY(check_indices(ctx, "ids", ids, rows, k));
  // Each thread owns a contiguous range of table rows and scans every id in order, so each table row sums
  // its gradients in row order without races or atomics, whatever the thread count.
#pragma omp parallel if (static_cast<long long>(rows) * d > 32768)
  {
    const int threads = omp_get_num_threads();
    const int t = omp_get_thread_num();
    const int lo = static_cast<int>(static_cast<long long>(k) * t / threads);
    const int hi = static_cast<int>(static_cast<long long>(k) * (t + 1) / threads);
    std::memset(dtable + static_cast<size_t>(lo) * d, 0, sizeof(float) * d * (hi - lo));
    for (int r = 0; r < rows; ++r) {
      const int j = ids[r];
      if (j < lo || j >= hi) continue;
      float* dst = dtable + static_cast<size_t>(j) * d;
      const float* src = dy + static_cast<size_t>(r) * d;
      for (int c = 0; c < d; ++c) dst[c] += src[c];
    }
  }
  return VQ4J_OK;
}

}  // namespace vq4j
