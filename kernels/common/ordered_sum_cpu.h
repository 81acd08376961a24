// A sum over [0, n) that gives the same bits whatever the thread count, for the CPU losses.
#ifndef VQ4J_COMMON_ORDERED_SUM_CPU_H
#define VQ4J_COMMON_ORDERED_SUM_CPU_H

#include "context.h"

namespace vq4j {

// Sums term(i) for i in [0, n) in double over fixed-size chunks whose partial sums are added in chunk
// order, so the result is bitwise the same whatever the thread count. The partials live in scratch.
// kChunk terms make one chunk: many cheap ones (MSE elements), or few costly ones (softmax rows, each a
// pass over K logits), so that a batch still splits across threads.
template <long long kChunk, class Term>
int ordered_sum(vq4j_ctx* ctx, long long n, Term term, double* sum) {
  const long long chunks = (n + kChunk - 1) / kChunk;
  double* partial = static_cast<double*>(scratch(ctx, static_cast<size_t>(chunks) * sizeof(double)));
  if (partial == nullptr) return VQ4J_ERR_MEMORY;
#pragma omp parallel for if (chunks > 1) schedule(static)
  for (long long c = 0; c < chunks; ++c) {
    const long long end = c * kChunk + kChunk < n ? c * kChunk + kChunk : n;
    double s = 0.0;
    for (long long i = c * kChunk; i < end; ++i) s += term(i);
    partial[c] = s;
  }
  double total = 0.0;
  for (long long c = 0; c < chunks; ++c) total += partial[c];
  *sum = total;
  return VQ4J_OK;
}

// loss[0] = the mean over rows of term(r), per_row[r] = term(r) when per_row is not null: the softmax
// cross-entropy's forward around its row NLL, shared by the reference and the fast path. A row is costly (a
// pass over K logits), so chunks hold few of them.
template <class RowTerm>
int mean_over_rows(vq4j_ctx* ctx, int rows, RowTerm term, float* per_row, float* loss) {
  double sum = 0.0;
  VQ4J_TRY(ordered_sum<32>(
      ctx, rows,
      [=](long long r) {
        const double t = term(r);
        if (per_row != nullptr) per_row[r] = static_cast<float>(t);
        return t;
      },
      &sum));
  loss[0] = static_cast<float>(sum / rows);
  return VQ4J_OK;
}

}  // namespace vq4j

#endif
