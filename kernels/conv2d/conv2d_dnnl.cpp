// CPU fast path of conv2d: oneDNN convolution primitives (kernels/common/conv_dnnl.h).
#include "conv2d.h"

#include "conv_dnnl.h"

namespace vq4j {

int conv2d_fwd_dnnl(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y, int n, int h,
                    int wd, int ci, int co, int kh, int kw, int stride, int pad) {
  return dnnl_conv(ctx, false, ConvPass::kForward, x, w, b, y, nullptr, n, h, wd, ci, co, kh, kw, stride, pad);
}

int conv2d_bwd_data_dnnl(vq4j_ctx* ctx, const float* dy, const float* w, float* dx, int n, int h, int wd,
                         int ci, int co, int kh, int kw, int stride, int pad) {
  return dnnl_conv(ctx, false, ConvPass::kBackwardData, dy, w, nullptr, dx, nullptr, n, h, wd, ci, co, kh, kw,
                   stride, pad);
}

int conv2d_bwd_weight_dnnl(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db, int n,
                           int h, int wd, int ci, int co, int kh, int kw, int stride, int pad) {
  return dnnl_conv(ctx, false, ConvPass::kBackwardWeight, x, dy, nullptr, dw, db, n, h, wd, ci, co, kh, kw,
                   stride, pad);
}

}  // namespace vq4j
