// Causal multi-head scaled dot-product attention (PyTorch's F.scaled_dot_product_attention with
// is_causal=True when tq = tk), heads side by side in the channels: head h of a row is columns
// [h dh, (h + 1) dh) of its C = heads * dh.
//
// Forward: q[batch, tq, C], k and v[batch, kv_rows, C] of which rows [0, tk) are used (a key/value cache
// may hold more rows than are filled), y[batch, tq, C], lse[batch, heads, tq]. Query i stands at position
// p = tk - tq + i and attends to keys 0..p: y_i = sum_j softmax_j(q_i . k_j / sqrt(dh)) v_j, and
// lse = the log of the softmax's normaliser (max + log sum exp), kept for the backward. Keys after p get
// weight exactly 0: they are never read.
// Backward (tq = tk = kv_rows = t): dq, dk, dv[batch, t, C] from q, k, v, the forward's y and lse, and dy;
// overwritten. The probabilities are recomputed from lse, so nothing of size t x t is kept.
// The _cpu and _cuda variants share one signature; the C API has validated every argument.
#ifndef VQ4J_KERNELS_CAUSAL_ATTENTION_H
#define VQ4J_KERNELS_CAUSAL_ATTENTION_H

#include "context.h"

namespace vq4j {

int causal_attention_fwd_cpu(vq4j_ctx* ctx, const float* q, const float* k, const float* v, float* y,
                             float* lse, int batch, int tq, int tk, int kv_rows, int heads, int dh);
int causal_attention_bwd_cpu(vq4j_ctx* ctx, const float* q, const float* k, const float* v, const float* y,
                             const float* lse, const float* dy, float* dq, float* dk, float* dv, int batch,
                             int t, int heads, int dh);
int causal_attention_fwd_cuda(vq4j_ctx* ctx, const float* q, const float* k, const float* v, float* y,
                              float* lse, int batch, int tq, int tk, int kv_rows, int heads, int dh);
int causal_attention_bwd_cuda(vq4j_ctx* ctx, const float* q, const float* k, const float* v, const float* y,
                              const float* lse, const float* dy, float* dq, float* dk, float* dv, int batch,
                              int t, int heads, int dh);

}  // namespace vq4j

#endif
