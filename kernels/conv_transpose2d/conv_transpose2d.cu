// CUDA conv_transpose2d: the adjoint of the conv2d that maps y[n, oh, ow, co] (its X) to x[n, h, wd, ci]
// (its Y) through the same weight w[ci, kh, kw, co] (its W[cy, kh, kw, cx]), so the forward pass is that
// conv's data gradient (plus the bias, over co), the data gradient its forward pass, and the weight
// gradient its weight gradient with dy as X and x as dY. The kernels are conv2d's
// (kernels/common/conv_gemm.cuh); conv_transpose2d_geom swaps the roles.
#include "conv_transpose2d.h"

#include "conv_gemm.cuh"

namespace vq4j {

// x[n, h, wd, ci], w[ci, kh, kw, co], b[co] -> y[n, oh, ow, co]
int conv_transpose2d_fwd_cuda(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y,
                              int n, int h, int wd, int ci, int co, int kh, int kw, int stride, int pad) {
  return conv_dgrad_cuda(ctx, conv_transpose2d_geom(n, h, wd, ci, co, kh, kw, stride, pad), x, w, b, y);
}

// dy[n, oh, ow, co], w[ci, kh, kw, co] -> dx[n, h, wd, ci]
int conv_transpose2d_bwd_data_cuda(vq4j_ctx* ctx, const float* dy, const float* w, float* dx, int n, int h,
                                   int wd, int ci, int co, int kh, int kw, int stride, int pad) {
  return conv_fprop_cuda(ctx, conv_transpose2d_geom(n, h, wd, ci, co, kh, kw, stride, pad), dy, w, nullptr,
                         dx);
}

// x[n, h, wd, ci], dy[n, oh, ow, co] -> dw[ci, kh, kw, co], db[co] (the column sum of dy, the X role)
int conv_transpose2d_bwd_weight_cuda(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db,
                                     int n, int h, int wd, int ci, int co, int kh, int kw, int stride,
                                     int pad) {
  return conv_wgrad_cuda(ctx, conv_transpose2d_geom(n, h, wd, ci, co, kh, kw, stride, pad), dy, x, dw, db,
                         BiasOf::kX);
}

}  // namespace vq4j
