// CPU fast path of masked_conv2d: a oneDNN conv2d over the full k x k kernel, whose weights are copied
// once per call with the masked-out taps set to 0 (so a masked weight is never read, whatever it holds),
// and whose weight gradient has its masked-out taps set to 0 afterwards. The primitive multiplies the
// zero taps too (up to twice the reference's products for mask A), which oneDNN's JIT kernels still
// do faster than a product over the kept taps alone.
#include "masked_conv2d.h"

#include <cstring>

#include "conv_dnnl.h"

namespace vq4j {
namespace {

// dst[co, k, k, ci] = src at the taps mask keeps, 0 at the others (dst may be src).
void keep_taps(const float* src, float* dst, int co, int ci, int k, int mask) {
  for (int o = 0; o < co; ++o)
    for (int t = 0; t < k * k; ++t) {
      const size_t at = (static_cast<size_t>(o) * k * k + t) * ci;
      if (mask_keeps(mask, k, t / k, t % k)) {
        if (dst != src) std::memcpy(dst + at, src + at, sizeof(float) * ci);
      } else {
        std::memset(dst + at, 0, sizeof(float) * ci);
      }
    }
}

// The masked copy of w, in the context's scratch.
int masked_weights(vq4j_ctx* ctx, const float* w, int co, int ci, int k, int mask, float** out) {
  float* wm = static_cast<float*>(scratch(ctx, sizeof(float) * co * k * k * ci));
  if (wm == nullptr) return VQ4J_ERR_MEMORY;
  keep_taps(w, wm, co, ci, k, mask);
  *out = wm;
  return VQ4J_OK;
}

}  // namespace

int masked_conv2d_fwd_dnnl(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y, int n,
                           int h, int wd, int ci, int co, int k, int mask) {
  float* wm;
  VQ4J_TRY(masked_weights(ctx, w, co, ci, k, mask, &wm));
  return dnnl_conv(ctx, false, ConvPass::kForward, x, wm, b, y, nullptr, n, h, wd, ci, co, k, k, 1, k / 2);
}

int masked_conv2d_bwd_data_dnnl(vq4j_ctx* ctx, const float* dy, const float* w, float* dx, int n, int h,
                                int wd, int ci, int co, int k, int mask) {
  float* wm;
  VQ4J_TRY(masked_weights(ctx, w, co, ci, k, mask, &wm));
  return dnnl_conv(ctx, false, ConvPass::kBackwardData, dy, wm, nullptr, dx, nullptr, n, h, wd, ci, co, k, k,
                   1, k / 2);
}

int masked_conv2d_bwd_weight_dnnl(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db,
                                  int n, int h, int wd, int ci, int co, int k, int mask) {
  VQ4J_TRY(dnnl_conv(ctx, false, ConvPass::kBackwardWeight, x, dy, nullptr, dw, db, n, h, wd, ci, co, k, k, 1,
                     k / 2));
  keep_taps(dw, dw, co, ci, k, mask);
  return VQ4J_OK;
}

}  // namespace vq4j
