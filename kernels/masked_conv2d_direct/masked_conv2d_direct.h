// masked_conv2d_direct: the forward of masked_conv2d computed without a matrix product, so that every
// output value is a function of the input values its taps read and of nothing else: not of the tensor's
// size, its position in a batch, the thread count or the backend. Shapes: x[n, h, wd, ci], w[co, k, k, ci],
// b[co] (may be NULL), y[n, h, wd, co]; stride 1, padding k / 2, odd k; mask a VQ4J_MASK_* of vq4j.h
// (k = 1 with VQ4J_MASK_B is a 1x1 conv).
//
// The arithmetic, identical in both implementations: y = b (or 0), then for each kept tap in row-major
// order and each input channel in order, y = y + x * w with the product and the sum each rounded to
// float32 (no fused multiply-add); a tap outside the input reads 0. An output computed on a crop of the
// input therefore equals, bit for bit, the output of the whole input wherever the crop holds every tap the
// output reads (taps outside both are zeros in both). The BLAS product behind masked_conv2d_fwd does not
// promise that: a blocked GEMM's sums for one row may depend on the height of the matrix.
// The _cpu and _cuda variants share one signature; the C API has validated every argument.
#ifndef VQ4J_KERNELS_MASKED_CONV2D_DIRECT_H
#define VQ4J_KERNELS_MASKED_CONV2D_DIRECT_H

#include "context.h"

namespace vq4j {

int masked_conv2d_direct_fwd_cpu(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y, int n,
                                 int h, int wd, int ci, int co, int k, int mask);
int masked_conv2d_direct_fwd_cuda(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y,
                                  int n, int h, int wd, int ci, int co, int k, int mask);

}  // namespace vq4j

#endif
