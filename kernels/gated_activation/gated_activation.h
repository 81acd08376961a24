// Gated activation of Gated PixelCNN. Shapes: x[rows, 2c] (first half feeds tanh, second sigmoid),
// y[rows, c], dy[rows, c], dx[rows, 2c].
// The _cpu and _cuda variants share one signature; the C API has validated every argument.
#ifndef VQ4J_KERNELS_GATED_ACTIVATION_H
#define VQ4J_KERNELS_GATED_ACTIVATION_H

#include "context.h"

namespace vq4j {

int gated_activation_fwd_cpu(vq4j_ctx* ctx, const float* x, float* y, int rows, int c);
int gated_activation_bwd_cpu(vq4j_ctx* ctx, const float* x, const float* dy, float* dx, int rows, int c);
int gated_activation_fwd_cuda(vq4j_ctx* ctx, const float* x, float* y, int rows, int c);
int gated_activation_bwd_cuda(vq4j_ctx* ctx, const float* x, const float* dy, float* dx, int rows, int c);

}  // namespace vq4j

#endif
