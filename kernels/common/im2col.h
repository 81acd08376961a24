// NHWC im2col / col2im and the GEMM drivers that the CPU conv kernels (conv2d, conv_transpose2d,
// masked_conv2d) share. Internal to the CPU kernels.
//
// A conv is x[n, h, wd, ci] -> y[n, oh, ow, co] through a kh x kw kernel. Its column matrix has one row
// per output pixel and one ci-wide block per tap. A tap list names the kernel positions t = i * kw + j
// that take part, in the order of their blocks; NULL (with ntaps = kh * kw) means every tap in order.
// A masked conv lists only its kept taps, so masked taps are never gathered nor multiplied.
// Column matrices are built a chunk of output lines at a time (a line is one output row oy of one
// image, counted over n * oh), so the buffer stays within a fixed budget whatever the batch.
#ifndef VQ4J_KERNELS_COMMON_IM2COL_H
#define VQ4J_KERNELS_COMMON_IM2COL_H

#include <cstddef>

#include "context.h"

namespace vq4j {

struct ConvShape {
  int n, h, wd, ci, co, kh, kw, stride, pad, oh, ow;
};

// The shape of a conv2d; oh = (h + 2 pad - kh) / stride + 1, ow likewise.
ConvShape conv_shape(int n, int h, int wd, int ci, int co, int kh, int kw, int stride, int pad);

// True when x is its own column matrix: 1x1 kernel, stride 1, no padding.
bool conv_is_pointwise(const ConvShape& s);

// Output lines per chunk, so that a chunk's column matrix stays within the workspace budget.
long col_chunk_lines(const ConvShape& s, int ntaps);
// Floats of the column buffer the drivers below need: 0 for a pointwise conv or no taps.
size_t col_buffer_floats(const ConvShape& s, int ntaps);

// Points *buf at a scratch buffer of that many floats (NULL for 0). VQ4J_ERR_MEMORY, recorded, on
// failure.
int scratch_floats(vq4j_ctx* ctx, size_t floats, float** buf);
// Rounds bytes up so that a buffer carved right after it from the scratch workspace stays 64-byte aligned.
size_t align_bytes(size_t bytes);

// col[(line1 - line0) * ow, ntaps * ci] for output lines [line0, line1), 0 where a tap reads padding.
void im2col(const float* x, float* col, const ConvShape& s, const int* taps, int ntaps, long line0,
            long line1);
// x[n, h, wd, ci] += the adjoint of im2col applied to the column matrix of lines [line0, line1).
void col2im_add(const float* col, float* x, const ConvShape& s, const int* taps, int ntaps, long line0,
                long line1);

// wmat[co, ntaps * ci] = the listed taps of w[co, kk, ci] (kk = kh * kw).
void gather_taps(const float* w, float* wmat, int co, int kk, int ci, const int* taps, int ntaps);
// w[co, kk, ci] = wmat[co, ntaps * ci] at the listed taps, 0 at every other tap.
void scatter_taps(const float* wmat, float* w, int co, int kk, int ci, const int* taps, int ntaps);

// y[rows, co] = b broadcast over rows, or 0 when b is NULL.
void fill_bias(float* y, const float* b, long rows, int co);
// db[co] = sum over rows of dy[rows, co].
void bias_grad(const float* dy, float* db, long rows, int co);

// GEMM drivers of a conv with weight matrix wmat[co, ntaps * ci] (a conv2d weight [co, kh, kw, ci] is
// one with every tap). col: a buffer of col_buffer_floats(s, ntaps) floats.
// y[n, oh, ow, co] from x[n, h, wd, ci]; b may be NULL.
void conv_gemm_fwd(const float* x, const float* wmat, const float* b, float* y, const ConvShape& s,
                   const int* taps, int ntaps, float* col);
// dx[n, h, wd, ci] from dy[n, oh, ow, co].
void conv_gemm_bwd_data(const float* dy, const float* wmat, float* dx, const ConvShape& s, const int* taps,
                        int ntaps, float* col);
// dwmat[co, ntaps * ci] and db[co] (may be NULL) from x[n, h, wd, ci] and dy[n, oh, ow, co].
void conv_gemm_bwd_weight(const float* x, const float* dy, float* dwmat, float* db, const ConvShape& s,
                          const int* taps, int ntaps, float* col);

}  // namespace vq4j

#endif
