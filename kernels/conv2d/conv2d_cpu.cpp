// CPU conv2d: im2col + GEMM (kernels/common/im2col.h, sgemm.h); the weight [co, kh, kw, ci] already is
// the GEMM's [co, kh * kw * ci] matrix.
#include "conv2d.h"

#include "im2col.h"

namespace vq4j {

// x[n, h, wd, ci], w[co, kh, kw, ci], b[co] -> y[n, oh, ow, co]
int conv2d_fwd_cpu(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y, int n, int h,
                   int wd, int ci, int co, int kh, int kw, int stride, int pad) {
  const ConvShape s = conv_shape(n, h, wd, ci, co, kh, kw, stride, pad);
  float* col;
  VQ4J_TRY(scratch_floats(ctx, col_buffer_floats(s, kh * kw), &col));
  conv_gemm_fwd(x, w, b, y, s, nullptr, kh * kw, col);
  return VQ4J_OK;
}

// dy[n, oh, ow, co], w[co, kh, kw, ci] -> dx[n, h, wd, ci]
int conv2d_bwd_data_cpu(vq4j_ctx* ctx, const float* dy, const float* w, float* dx, int n, int h, int wd,
                        int ci, int co, int kh, int kw, int stride, int pad) {
  const ConvShape s = conv_shape(n, h, wd, ci, co, kh, kw, stride, pad);
  float* col;
  VQ4J_TRY(scratch_floats(ctx, col_buffer_floats(s, kh * kw), &col));
  conv_gemm_bwd_data(dy, w, dx, s, nullptr, kh * kw, col);
  return VQ4J_OK;
}

// x[n, h, wd, ci], dy[n, oh, ow, co] -> dw[co, kh, kw, ci], db[co]
int conv2d_bwd_weight_cpu(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db, int n,
                          int h, int wd, int ci, int co, int kh, int kw, int stride, int pad) {
  const ConvShape s = conv_shape(n, h, wd, ci, co, kh, kw, stride, pad);
  float* col;
  VQ4J_TRY(scratch_floats(ctx, col_buffer_floats(s, kh * kw), &col));
  conv_gemm_bwd_weight(x, dy, dw, db, s, nullptr, kh * kw, col);
  return VQ4J_OK;
}

}  // namespace vq4j
