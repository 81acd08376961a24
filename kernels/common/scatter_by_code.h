// Deterministic scatter-add of rows into per-code slots (embedding gradient, codebook gradient, EMA sums).
// Each OpenMP thread owns a contiguous range of codes and scans every row in order, so every code's sum is
// taken in row order, without atomics, and is the same whatever the thread count.
#ifndef VQ4J_COMMON_SCATTER_BY_CODE_H
#define VQ4J_COMMON_SCATTER_BY_CODE_H

#include <omp.h>

namespace vq4j {

// zero(lo, hi) clears the slots of codes [lo, hi); add(r, j) adds row r into the slot of code j = codes[r].
// codes must already be checked to lie in [0, k).
template <class Zero, class Add>
void scatter_by_code(const int* codes, int rows, int k, bool parallel, Zero zero, Add add) {
#pragma omp parallel if (parallel)
  {
    const int threads = omp_get_num_threads();
    const int t = omp_get_thread_num();
    const int lo = static_cast<int>(static_cast<long long>(k) * t / threads);
    const int hi = static_cast<int>(static_cast<long long>(k) * (t + 1) / threads);
    zero(lo, hi);
    for (int r = 0; r < rows; ++r) {
      const int j = codes[r];
      if (j >= lo && j < hi) add(r, j);
    }
  }
}

}  // namespace vq4j

#endif
