// masked_conv2d, NHWC, stride 1, padding k / 2 (odd k). Shapes: x[n, h, wd, ci], w[co, k, k, ci],
// b[co] (may be NULL), y[n, h, wd, co]. mask is a VQ4J_MASK_* of vq4j.h; masked-out taps are skipped
// (never read, their gradient is 0).
// The _cpu (reference, and the CPU path: its GEMM skips the masked taps, which a oneDNN primitive over all
// the taps could not) and _cuda variants share one signature; the C API has validated every argument.
#ifndef VQ4J_KERNELS_MASKED_CONV2D_H
#define VQ4J_KERNELS_MASKED_CONV2D_H

#include "context.h"

namespace vq4j {

// 1 when tap (i, j) of a k x k kernel is kept by mask.
inline bool mask_keeps(int mask, int k, int i, int j) {
  int c = k / 2;
  switch (mask) {
    case VQ4J_MASK_A: return i < c || (i == c && j < c);
    case VQ4J_MASK_B: return i < c || (i == c && j <= c);
    case VQ4J_MASK_V_A: return i < c;
    case VQ4J_MASK_V_B: return i <= c;
    case VQ4J_MASK_H_A: return i == c && j < c;
    case VQ4J_MASK_H_B: return i == c && j <= c;
    default: return false;
  }
}

int masked_conv2d_fwd_cpu(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y, int n,
                          int h, int wd, int ci, int co, int k, int mask);
int masked_conv2d_fwd_cuda(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y, int n,
                           int h, int wd, int ci, int co, int k, int mask);
// dx[n, h, wd, ci] from dy[n, h, wd, co].
int masked_conv2d_bwd_data_cpu(vq4j_ctx* ctx, const float* dy, const float* w, float* dx, int n, int h,
                               int wd, int ci, int co, int k, int mask);
int masked_conv2d_bwd_data_cuda(vq4j_ctx* ctx, const float* dy, const float* w, float* dx, int n, int h,
                                int wd, int ci, int co, int k, int mask);
// dw[co, k, k, ci] (0 at masked taps) and db[co] (may be NULL) from x and dy.
int masked_conv2d_bwd_weight_cpu(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db,
                                 int n, int h, int wd, int ci, int co, int k, int mask);
int masked_conv2d_bwd_weight_cuda(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db,
                                  int n, int h, int wd, int ci, int co, int k, int mask);

}  // namespace vq4j

#endif
