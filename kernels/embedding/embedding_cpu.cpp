// CPU embedding lookup and its gradient.
#include "embedding.h"

#include <cstring>

#include "index_check.h"
#include "scatter_by_code.h"
#include "vector_clones.h"

namespace vq4j {

// table[k, d], ids[rows] -> y[rows, d]
VQ4J_VECTOR_CLONES
int embedding_fwd_cpu(vq4j_ctx* ctx, const float* table, const int* ids, float* y, int rows, int d, int k) {
  VQ4J_TRY(check_indices(ctx, "ids", ids, rows, k));
#pragma omp parallel for if (static_cast<long long>(rows) * d > 32768) schedule(static)
  for (int r = 0; r < rows; ++r)
    std::memcpy(y + static_cast<size_t>(r) * d, table + static_cast<size_t>(ids[r]) * d, sizeof(float) * d);
  return VQ4J_OK;
}

// ids[rows], dy[rows, d] -> dtable[k, d]
VQ4J_VECTOR_CLONES
int embedding_bwd_cpu(vq4j_ctx* ctx, const int* ids, const float* dy, float* dtable, int rows, int d, int k) {
  VQ4J_TRY(check_indices(ctx, "ids", ids, rows, k));
  scatter_by_code(
      ids, rows, k, static_cast<long long>(rows) * d > 32768,
      [&](int lo, int hi) { std::memset(dtable + static_cast<size_t>(lo) * d, 0, sizeof(float) * d * (hi - lo)); },
      [&](int r, int j) {
        float* dst = dtable + static_cast<size_t>(j) * d;
        const float* src = dy + static_cast<size_t>(r) * d;
        for (int c = 0; c < d; ++c) dst[c] += src[c];
      });
  return VQ4J_OK;
}

}  // namespace vq4j
