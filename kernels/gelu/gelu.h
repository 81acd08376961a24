// GELU, tanh approximation (GPT-2's; PyTorch's F.gelu(x, approximate="tanh")):
//   y = 0.5 x (1 + tanh(u)),  u = sqrt(2 / pi) (x + 0.044715 x^3).
// Shapes: x[count], y[count], dy[count], dx[count]; y may alias x, dx may alias dy.
// The _cpu and _cuda variants share one signature; the C API has validated every argument.
#ifndef VQ4J_KERNELS_GELU_H
#define VQ4J_KERNELS_GELU_H

#include "context.h"

namespace vq4j {

constexpr float kGeluSqrt2OverPi = 0.7978845608028654f;
constexpr float kGeluCubic = 0.044715f;

int gelu_fwd_cpu(vq4j_ctx* ctx, const float* x, float* y, long long count);
int gelu_bwd_cpu(vq4j_ctx* ctx, const float* x, const float* dy, float* dx, long long count);
int gelu_fwd_cuda(vq4j_ctx* ctx, const float* x, float* y, long long count);
int gelu_bwd_cuda(vq4j_ctx* ctx, const float* x, const float* dy, float* dx, long long count);

}  // namespace vq4j

#endif
