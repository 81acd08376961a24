// CUDA linear layer: the convolutions' implicit-GEMM engine (conv_gemm.cuh) on a 1x1 conv whose "images"
// are the rows, each one pixel of in channels: fprop is x w^T + b, dgrad dy w, wgrad dy^T x with the bias
// gradient the column sums of dy. Same layouts: w[out, 1, 1, in] is w[out, in].
#include "conv_gemm.cuh"
#include "linear.h"

namespace vq4j {
namespace {

ConvGeom linear_geom(int rows, int in, int out) { return conv2d_geom(rows, 1, 1, in, out, 1, 1, 1, 0); }

}  // namespace

int linear_fwd_cuda(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y, int rows, int in,
                    int out) {
  return conv_fprop_cuda(ctx, linear_geom(rows, in, out), x, w, b, y);
}

int linear_bwd_data_cuda(vq4j_ctx* ctx, const float* dy, const float* w, float* dx, int rows, int in,
                         int out) {
  return conv_dgrad_cuda(ctx, linear_geom(rows, in, out), dy, w, nullptr, dx);
}

int linear_bwd_weight_cuda(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db, int rows,
                           int in, int out) {
  return conv_wgrad_cuda(ctx, linear_geom(rows, in, out), x, dy, dw, db, BiasOf::kDy);
}

}  // namespace vq4j
