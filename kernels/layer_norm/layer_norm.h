// Layer norm over the last dimension (PyTorch's F.layer_norm with a [c] weight and bias):
//   y = (x - mean) * rstd * gamma + beta,  rstd = 1 / sqrt(var + eps), var the biased variance of the row.
// Shapes: x[rows, c], gamma[c], beta[c], y[rows, c], mean[rows] and rstd[rows] (written by the forward,
// read by the backward), dy[rows, c], dx[rows, c], dgamma[c], dbeta[c] (overwritten, not accumulated).
// The _cpu and _cuda variants share one signature; the C API has validated every argument.
#ifndef VQ4J_KERNELS_LAYER_NORM_H
#define VQ4J_KERNELS_LAYER_NORM_H

#include "context.h"

namespace vq4j {

int layer_norm_fwd_cpu(vq4j_ctx* ctx, const float* x, const float* gamma, const float* beta, float* y,
                       float* mean, float* rstd, int rows, int c, float eps);
int layer_norm_bwd_cpu(vq4j_ctx* ctx, const float* x, const float* gamma, const float* mean,
                       const float* rstd, const float* dy, float* dx, float* dgamma, float* dbeta, int rows,
                       int c);
int layer_norm_fwd_cuda(vq4j_ctx* ctx, const float* x, const float* gamma, const float* beta, float* y,
                        float* mean, float* rstd, int rows, int c, float eps);
int layer_norm_bwd_cuda(vq4j_ctx* ctx, const float* x, const float* gamma, const float* mean,
                        const float* rstd, const float* dy, float* dx, float* dgamma, float* dbeta, int rows,
                        int c);

}  // namespace vq4j

#endif
