// CUDA conv2d: the implicit-GEMM kernels of kernels/common/conv_gemm.cuh in conv2d's own roles
// (x is X, y is Y, w[co, kh, kw, ci] is W).
#include "conv2d.h"

#include "conv_gemm.cuh"

namespace vq4j {

// x[n, h, wd, ci], w[co, kh, kw, ci], b[co] -> y[n, oh, ow, co]
int conv2d_fwd_cuda(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y, int n, int h,
                    int wd, int ci, int co, int kh, int kw, int stride, int pad) {
  return conv_fprop_cuda(ctx, conv2d_geom(n, h, wd, ci, co, kh, kw, stride, pad), x, w, b, y);
}

// dy[n, oh, ow, co], w[co, kh, kw, ci] -> dx[n, h, wd, ci]
int conv2d_bwd_data_cuda(vq4j_ctx* ctx, const float* dy, const float* w, float* dx, int n, int h, int wd,
                         int ci, int co, int kh, int kw, int stride, int pad) {
  return conv_dgrad_cuda(ctx, conv2d_geom(n, h, wd, ci, co, kh, kw, stride, pad), dy, w, nullptr, dx);
}

// x[n, h, wd, ci], dy[n, oh, ow, co] -> dw[co, kh, kw, ci], db[co]
int conv2d_bwd_weight_cuda(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db, int n,
                           int h, int wd, int ci, int co, int kh, int kw, int stride, int pad) {
  return conv_wgrad_cuda(ctx, conv2d_geom(n, h, wd, ci, co, kh, kw, stride, pad), x, dy, dw, db,
                         BiasOf::kDy);
}

}  // namespace vq4j
