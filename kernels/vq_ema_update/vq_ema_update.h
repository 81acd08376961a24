// EMA codebook update (Sonnet VectorQuantizerEMA, no zero-debiasing, Laplace-smoothed counts) from a batch's
// per-code statistics (vq_code_sums; on data-parallel ranks, their all-reduced sums: the global batch's).
// Shapes: counts[k], sums[k, d] (in); ema_count[k], ema_sum[k, d], codebook[k, d] (updated in place).
// The _cpu and _cuda variants share one signature; the C API has validated every argument.
#ifndef VQ4J_KERNELS_VQ_EMA_UPDATE_H
#define VQ4J_KERNELS_VQ_EMA_UPDATE_H

#include "context.h"

namespace vq4j {

int vq_ema_update_cpu(vq4j_ctx* ctx, const float* counts, const float* sums, float* ema_count, float* ema_sum,
                      float* codebook, float gamma, float eps, int d, int k);
int vq_ema_update_cuda(vq4j_ctx* ctx, const float* counts, const float* sums, float* ema_count, float* ema_sum,
                       float* codebook, float gamma, float eps, int d, int k);

}  // namespace vq4j

#endif
