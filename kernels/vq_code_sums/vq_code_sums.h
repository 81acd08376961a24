// A batch's per-code statistics: how many rows chose each code and, for the EMA codebook, the sum of those
// rows. They are what data-parallel ranks all-reduce (sums of sums are the global batch's), and what
// vq_stats (perplexity) and vq_ema_update consume.
// Shapes: codes[rows] int32 -> counts[k]; with z_e[rows, d] also sums[k, d] (z_e and sums both NULL, or
// neither). Counts are tallied as integers (exact), sums in double in row order, each rounded once to float.
// The _cpu and _cuda variants share one signature; the C API has validated every argument.
#ifndef VQ4J_KERNELS_VQ_CODE_SUMS_H
#define VQ4J_KERNELS_VQ_CODE_SUMS_H

#include "context.h"

namespace vq4j {

int vq_code_sums_cpu(vq4j_ctx* ctx, const int* codes, const float* z_e, float* counts, float* sums, int rows, int d,
                     int k);
int vq_code_sums_cuda(vq4j_ctx* ctx, const int* codes, const float* z_e, float* counts, float* sums, int rows,
                      int d, int k);

}  // namespace vq4j

#endif
