// EMA codebook update (Sonnet VectorQuantizerEMA, no zero-debiasing, Laplace-smoothed counts).
// Shapes: z_e[rows, d], codes[rows] int32, ema_count[k], ema_sum[k, d], codebook[k, d] (all updated in
// place except z_e and codes).
// The _cpu and _cuda variants share one signature; the C API has validated every argument.
#ifndef VQ4J_KERNELS_VQ_EMA_UPDATE_H
#define VQ4J_KERNELS_VQ_EMA_UPDATE_H

#include "context.h"

namespace vq4j {

int vq_ema_update_cpu(vq4j_ctx* ctx, const float* z_e, const int* codes, float* ema_count, float* ema_sum,
                      float* codebook, float gamma, float eps, int rows, int d, int k);
int vq_ema_update_cuda(vq4j_ctx* ctx, const float* z_e, const int* codes, float* ema_count, float* ema_sum,
                       float* codebook, float gamma, float eps, int rows, int d, int k);

}  // namespace vq4j

#endif
