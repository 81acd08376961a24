// CUDA masked_conv2d: a stride-1 "same" conv2d through the implicit-GEMM kernels of
// kernels/common/conv_gemm.cuh, over the kept taps only. For every mask the kept taps are one range
// [t0, t1) of t = i * k + j (A: rows above + the left of the centre row; B: up to the centre; V_A/V_B:
// whole rows above / up to the centre row; H_A/H_B: the centre row's left part / up to the centre), so
// each GEMM runs over K = (t1 - t0) * ci instead of k * k * ci: masked taps are neither read nor
// multiplied, and their weight gradient is written as exactly 0.
#include "masked_conv2d.h"

#include "conv_gemm.cuh"

namespace vq4j {
namespace {

// The conv geometry of masked_conv2d with its kept taps, derived from mask_keeps itself.
int masked_geom(vq4j_ctx* ctx, int n, int h, int wd, int ci, int co, int k, int mask, ConvGeom* g) {
  *g = conv2d_geom(n, h, wd, ci, co, k, k, 1, k / 2);
  const bool range = contiguous_taps(k * k, [&](int t) { return mask_keeps(mask, k, t / k, t % k); },
                                     &g->t0, &g->t1);
  if (!range)
    return VQ4J_FAIL(ctx, VQ4J_ERR_UNSUPPORTED,
                     "mask %d of a %dx%d kernel keeps taps that are not one raster-order range", mask, k, k);
  return VQ4J_OK;
}

}  // namespace

// x[n, h, wd, ci], w[co, k, k, ci], b[co] -> y[n, h, wd, co]
int masked_conv2d_fwd_cuda(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y, int n,
                           int h, int wd, int ci, int co, int k, int mask) {
  ConvGeom g;
  VQ4J_TRY(masked_geom(ctx, n, h, wd, ci, co, k, mask, &g));
  return conv_fprop_cuda(ctx, g, x, w, b, y);
}

// dy[n, h, wd, co], w[co, k, k, ci] -> dx[n, h, wd, ci]
int masked_conv2d_bwd_data_cuda(vq4j_ctx* ctx, const float* dy, const float* w, float* dx, int n, int h,
                                int wd, int ci, int co, int k, int mask) {
  ConvGeom g;
  VQ4J_TRY(masked_geom(ctx, n, h, wd, ci, co, k, mask, &g));
  return conv_dgrad_cuda(ctx, g, dy, w, nullptr, dx);
}

// x[n, h, wd, ci], dy[n, h, wd, co] -> dw[co, k, k, ci] (0 at masked taps), db[co]
int masked_conv2d_bwd_weight_cuda(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db,
                                  int n, int h, int wd, int ci, int co, int k, int mask) {
  ConvGeom g;
  VQ4J_TRY(masked_geom(ctx, n, h, wd, ci, co, k, mask, &g));
  return conv_wgrad_cuda(ctx, g, x, dy, dw, db, BiasOf::kDy);
}

}  // namespace vq4j
