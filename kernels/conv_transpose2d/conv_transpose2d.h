// conv_transpose2d, NHWC: the adjoint of conv2d. Shapes: x[n, h, wd, ci], w[ci, kh, kw, co],
// b[co] (may be NULL), y[n, oh, ow, co] with oh = (h - 1) stride - 2 pad + kh, ow likewise.
// The _cpu (reference), _dnnl (the CPU fast path, kernels/common/conv_dnnl.h) and _cuda variants share one
// signature; the C API has validated every argument.
#ifndef VQ4J_KERNELS_CONV_TRANSPOSE2D_H
#define VQ4J_KERNELS_CONV_TRANSPOSE2D_H

#include "context.h"

namespace vq4j {

int conv_transpose2d_fwd_cpu(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y,
                             int n, int h, int wd, int ci, int co, int kh, int kw, int stride, int pad);
int conv_transpose2d_fwd_dnnl(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y,
                              int n, int h, int wd, int ci, int co, int kh, int kw, int stride, int pad);
int conv_transpose2d_fwd_cuda(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y,
                              int n, int h, int wd, int ci, int co, int kh, int kw, int stride, int pad);
// dx[n, h, wd, ci] from dy[n, oh, ow, co].
int conv_transpose2d_bwd_data_cpu(vq4j_ctx* ctx, const float* dy, const float* w, float* dx, int n, int h,
                                  int wd, int ci, int co, int kh, int kw, int stride, int pad);
int conv_transpose2d_bwd_data_dnnl(vq4j_ctx* ctx, const float* dy, const float* w, float* dx, int n, int h,
                                   int wd, int ci, int co, int kh, int kw, int stride, int pad);
int conv_transpose2d_bwd_data_cuda(vq4j_ctx* ctx, const float* dy, const float* w, float* dx, int n, int h,
                                   int wd, int ci, int co, int kh, int kw, int stride, int pad);
// dw[ci, kh, kw, co] and db[co] (may be NULL) from x[n, h, wd, ci] and dy[n, oh, ow, co].
int conv_transpose2d_bwd_weight_cpu(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db,
                                    int n, int h, int wd, int ci, int co, int kh, int kw, int stride,
                                    int pad);
int conv_transpose2d_bwd_weight_dnnl(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db,
                                     int n, int h, int wd, int ci, int co, int kh, int kw, int stride,
                                     int pad);
int conv_transpose2d_bwd_weight_cuda(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db,
                                     int n, int h, int wd, int ci, int co, int kh, int kw, int stride,
                                     int pad);

}  // namespace vq4j

#endif
