// The CPU fast path of the dense convolutions (conv2d, conv_transpose2d): oneDNN primitives,
// created once per shape and kept in the context. Activations are NHWC as everywhere in vq4j; the weights
// keep the C API's layouts and are reordered into the primitive's own layout by a cached reorder.
// Internal to the CPU kernels; the hand-written *_cpu kernels stay the reference (VQ4J_OPT_CPU_REFERENCE).
#ifndef VQ4J_KERNELS_COMMON_CONV_DNNL_H
#define VQ4J_KERNELS_COMMON_CONV_DNNL_H

#include "context.h"

namespace vq4j {

enum class ConvPass { kForward, kBackwardData, kBackwardWeight };

// One pass of a conv2d (w[co, kh, kw, ci]) or, when transposed, a conv_transpose2d (w[ci, kh, kw, co]),
// shapes as in vq4j.h. The operands by pass:
//   kForward:        in = x,  w = weight, bias (may be NULL)  -> out = y
//   kBackwardData:   in = dy, w = weight                      -> out = dx
//   kBackwardWeight: in = x,  w = dy                          -> out = dw, dbias (may be NULL)
int dnnl_conv(vq4j_ctx* ctx, bool transposed, ConvPass pass, const float* in, const float* w,
              const float* bias, float* out, float* dbias, int n, int h, int wd, int ci, int co, int kh,
              int kw, int stride, int pad);

// Frees the context's oneDNN engine, stream and primitives (vq4j_ctx_destroy).
void dnnl_release(vq4j_ctx* ctx);

}  // namespace vq4j

#endif
