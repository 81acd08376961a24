// Elementwise ops over count floats; outputs may alias inputs.
// The _cpu and _cuda variants share one signature; the C API has validated every argument.
#ifndef VQ4J_KERNELS_ELEMENTWISE_H
#define VQ4J_KERNELS_ELEMENTWISE_H

#include "context.h"

namespace vq4j {

int relu_fwd_cpu(vq4j_ctx* ctx, const float* x, float* y, long long count);
// dx = dy where the forward output y > 0, else 0.
int relu_bwd_cpu(vq4j_ctx* ctx, const float* y, const float* dy, float* dx, long long count);
int add_cpu(vq4j_ctx* ctx, const float* a, const float* b, float* y, long long count);

int relu_fwd_cuda(vq4j_ctx* ctx, const float* x, float* y, long long count);
int relu_bwd_cuda(vq4j_ctx* ctx, const float* y, const float* dy, float* dx, long long count);
int add_cuda(vq4j_ctx* ctx, const float* a, const float* b, float* y, long long count);

}  // namespace vq4j

#endif
