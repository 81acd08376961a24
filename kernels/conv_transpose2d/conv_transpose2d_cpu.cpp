// CPU conv_transpose2d, through the conv2d it is the adjoint of: that conv maps y[n, oh, ow, co] to
// x[n, h, wd, ci] with weight w[ci, kh, kw, co], so the forward pass is its data gradient (GEMM, then
// col2im), and the backward passes are its forward pass and its weight gradient.
#include "conv_transpose2d.h"

#include <algorithm>


#include "conv2d/conv2d.h"
#include "im2col.h"
#include "sgemm.h"

namespace vq4j {

// x[n, h, wd, ci], w[ci, kh, kw, co], b[co] -> y[n, oh, ow, co]
int conv_transpose2d_fwd_cpu(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y,
                             int n, int h, int wd, int ci, int co, int kh, int kw, int stride, int pad) {
  const int oh = (h - 1) * stride - 2 * pad + kh;
  const int ow = (wd - 1) * stride - 2 * pad + kw;
  // The adjoint conv: its output grid (s.oh, s.ow) is x's (h, wd).
  const ConvShape s = conv_shape(n, oh, ow, co, ci, kh, kw, stride, pad);
  const int k = kh * kw * co;
  float* col;
  VQ4J_TRY(scratch_floats(ctx, col_buffer_floats(s, kh * kw), &col));
  // col2im adds onto y, so y starts as the bias.
  fill_bias(y, b, static_cast<long>(n) * oh * ow, co);
  if (conv_is_pointwise(s)) {
    sgemm(false, false, n * h * wd, co, ci, 1.0f, x, ci, w, co, 1.0f, y,
                co);
    return VQ4J_OK;
  }
  const long lines = static_cast<long>(n) * h;
  const long chunk = col_chunk_lines(s, kh * kw);
  for (long l0 = 0; l0 < lines; l0 += chunk) {
    const long l1 = std::min(lines, l0 + chunk);
    sgemm(false, false, static_cast<int>((l1 - l0) * wd), k, ci, 1.0f,
                x + static_cast<size_t>(l0) * wd * ci, ci, w, k, 0.0f, col, k);
    col2im_add(col, y, s, nullptr, kh * kw, l0, l1);
  }
  return VQ4J_OK;
}

// dy[n, oh, ow, co], w[ci, kh, kw, co] -> dx[n, h, wd, ci]
int conv_transpose2d_bwd_data_cpu(vq4j_ctx* ctx, const float* dy, const float* w, float* dx, int n, int h,
                                  int wd, int ci, int co, int kh, int kw, int stride, int pad) {
  const int oh = (h - 1) * stride - 2 * pad + kh;
  const int ow = (wd - 1) * stride - 2 * pad + kw;
  return conv2d_fwd_cpu(ctx, dy, w, nullptr, dx, n, oh, ow, co, ci, kh, kw, stride, pad);
}

// x[n, h, wd, ci], dy[n, oh, ow, co] -> dw[ci, kh, kw, co], db[co]
int conv_transpose2d_bwd_weight_cpu(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db,
                                    int n, int h, int wd, int ci, int co, int kh, int kw, int stride,
                                    int pad) {
  const int oh = (h - 1) * stride - 2 * pad + kh;
  const int ow = (wd - 1) * stride - 2 * pad + kw;
  // The adjoint conv reads dy and outputs into x's grid, so its weight gradient takes x as the output
  // gradient; its bias would be over ci, so db is reduced here.
  VQ4J_TRY(conv2d_bwd_weight_cpu(ctx, dy, x, dw, nullptr, n, oh, ow, co, ci, kh, kw, stride, pad));
  if (db != nullptr) bias_grad(dy, db, static_cast<long>(n) * oh * ow, co);
  return VQ4J_OK;
}

}  // namespace vq4j
