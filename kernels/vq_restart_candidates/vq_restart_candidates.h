// The row each code would restart from if it died this step (vq_dead_codes), drawn from the (global) batch
// by a key the host passes by value: code j's row is dead_code_row(key, j, total_rows), the same hash on
// both backends. A rank holding rows [first_row, first_row + rows) of the global batch writes the candidates
// that fall in its rows and zeros for the rest, so the all-reduced sum over the ranks is every code's
// candidate (a single process: first_row = 0, total_rows = rows).
// Shapes: z_e[rows, d] -> candidates[k, d].
// The _cpu and _cuda variants share one signature; the C API has validated every argument.
#ifndef VQ4J_KERNELS_VQ_RESTART_CANDIDATES_H
#define VQ4J_KERNELS_VQ_RESTART_CANDIDATES_H

#include "context.h"
#include "counter_hash.h"

namespace vq4j {

// The row of a batch of total_rows that dead code j takes under key: counter_hash(key, j) scaled to
// [0, total_rows) by a 32x32-bit multiply (no modulo bias worth naming for total_rows < 2^31).
#if defined(__CUDACC__)
__host__ __device__
#endif
inline long long dead_code_row(unsigned long long key, int j, long long total_rows) {
  const unsigned long long z = counter_hash(key, static_cast<unsigned long long>(j));
  return static_cast<long long>(((z >> 32) * static_cast<unsigned long long>(total_rows)) >> 32);
}

int vq_restart_candidates_cpu(vq4j_ctx* ctx, const float* z_e, float* candidates, int rows, long long first_row,
                              long long total_rows, int d, int k, unsigned long long key);
int vq_restart_candidates_cuda(vq4j_ctx* ctx, const float* z_e, float* candidates, int rows, long long first_row,
                               long long total_rows, int d, int k, unsigned long long key);

}  // namespace vq4j

#endif
