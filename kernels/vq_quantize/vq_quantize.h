// The quantizer: nearest code, its losses and gradients, usage statistics.
// Shapes: z_e[rows, d] (rows = N*H*W latent vectors), codebook[k, d], codes[rows] int32, z_q[rows, d].
// The _cpu and _cuda variants share one signature; the C API has validated every argument.
#ifndef VQ4J_KERNELS_VQ_QUANTIZE_H
#define VQ4J_KERNELS_VQ_QUANTIZE_H

#include "context.h"

namespace vq4j {

// codes[r] = argmin_j ||z_e[r] - codebook[j]||^2, ties to the lowest j; z_q[r] = codebook[codes[r]].
int vq_quantize_fwd_cpu(vq4j_ctx* ctx, const float* z_e, const float* codebook, int* codes, float* z_q,
                        int rows, int d, int k);
int vq_quantize_fwd_cuda(vq4j_ctx* ctx, const float* z_e, const float* codebook, int* codes, float* z_q,
                         int rows, int d, int k);
// loss[1] = mean over rows*d of (z_e - z_q)^2.
int vq_loss_cpu(vq4j_ctx* ctx, const float* z_e, const float* z_q, float* loss, int rows, int d);
int vq_loss_cuda(vq4j_ctx* ctx, const float* z_e, const float* z_q, float* loss, int rows, int d);
// dz_e[rows, d] = dz_q + beta * 2 (z_e - z_q) / (rows d);
// dcodebook[k, d] (may be NULL) = codebook_weight * sum_{r: codes[r] = j} 2 (z_q[r] - z_e[r]) / (rows d).
int vq_quantize_bwd_cpu(vq4j_ctx* ctx, const float* z_e, const float* z_q, const int* codes,
                        const float* dz_q, float* dz_e, float* dcodebook, float beta, float codebook_weight,
                        int rows, int d, int k);
int vq_quantize_bwd_cuda(vq4j_ctx* ctx, const float* z_e, const float* z_q, const int* codes,
                         const float* dz_q, float* dz_e, float* dcodebook, float beta, float codebook_weight,
                         int rows, int d, int k);
// perplexity[1] = exp(-sum_j p_j ln p_j), p_j = counts[j] / sum of counts (counts[k]: vq_code_sums').
int vq_stats_cpu(vq4j_ctx* ctx, const float* counts, float* perplexity, int k);
int vq_stats_cuda(vq4j_ctx* ctx, const float* counts, float* perplexity, int k);

}  // namespace vq4j

#endif
