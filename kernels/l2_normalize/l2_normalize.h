// Row-wise l2 normalisation, for the l2-normalised codes of ViT-VQGAN (Yu et al. 2021, "Vector-quantized
// Image Modeling with Improved VQGAN", section 3.2): both the encoder outputs and the codebook are put on
// the unit sphere, so the nearest code in L2 is the nearest by cosine. Shapes: x, y, dy, dx [rows, d]. The
// _cpu and _cuda variants share one signature; the C API has validated every argument.
#ifndef VQ4J_KERNELS_L2_NORMALIZE_H
#define VQ4J_KERNELS_L2_NORMALIZE_H

#include "context.h"

namespace vq4j {

// The norm floor, as torch.nn.functional.normalize's eps: a zero row stays zero instead of dividing by 0.
constexpr double kL2NormalizeEps = 1e-12;

// y = x / max(|x|, eps) per row.
int l2_normalize_fwd_cpu(vq4j_ctx* ctx, const float* x, float* y, int rows, int d);
int l2_normalize_fwd_cuda(vq4j_ctx* ctx, const float* x, float* y, int rows, int d);
// dx = (dy - y (y.dy)) / |x| per row where |x| > eps (the sphere's tangent part of dy); dy / eps below it.
// dx may be dy.
int l2_normalize_bwd_cpu(vq4j_ctx* ctx, const float* x, const float* dy, float* dx, int rows, int d);
int l2_normalize_bwd_cuda(vq4j_ctx* ctx, const float* x, const float* dy, float* dx, int rows, int d);

}  // namespace vq4j

#endif
