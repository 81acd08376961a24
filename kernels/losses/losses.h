// Losses. MSE over count values; softmax cross-entropy over logits[rows, k] with targets[rows] int32.
// Scalar results go to loss[1] in the context's memory.
// The _cpu and _cuda variants share one signature; the C API has validated every argument.
#ifndef VQ4J_KERNELS_LOSSES_H
#define VQ4J_KERNELS_LOSSES_H

#include "context.h"

namespace vq4j {

int mse_fwd_cpu(vq4j_ctx* ctx, const float* pred, const float* target, float* loss, long long count);
// dpred[count] = scale * 2 (pred - target) / count.
int mse_bwd_cpu(vq4j_ctx* ctx, const float* pred, const float* target, float* dpred, float scale,
                long long count);
// loss[1] = mean_r -ln softmax(logits[r])[targets[r]]; nll[rows] (may be NULL) each row's term.
// A target outside [0, k) is an argument error.
int softmax_xent_fwd_cpu(vq4j_ctx* ctx, const float* logits, const int* targets, float* loss, float* nll,
                         int rows, int k);
// dlogits[rows, k] = scale * (softmax(logits) - onehot(targets)) / rows.
int softmax_xent_bwd_cpu(vq4j_ctx* ctx, const float* logits, const int* targets, float* dlogits,
                         float scale, int rows, int k);

// The softmax cross-entropy's CPU fast path (softmax_xent_lanes_cpu.cpp): the same results up to the order of
// the additions, and the same bits whatever the thread count.
int softmax_xent_fwd_lanes(vq4j_ctx* ctx, const float* logits, const int* targets, float* loss, float* nll,
                           int rows, int k);
int softmax_xent_bwd_lanes(vq4j_ctx* ctx, const float* logits, const int* targets, float* dlogits,
                           float scale, int rows, int k);

int mse_fwd_cuda(vq4j_ctx* ctx, const float* pred, const float* target, float* loss, long long count);
int mse_bwd_cuda(vq4j_ctx* ctx, const float* pred, const float* target, float* dpred, float scale,
                 long long count);
int softmax_xent_fwd_cuda(vq4j_ctx* ctx, const float* logits, const int* targets, float* loss, float* nll,
                          int rows, int k);
int softmax_xent_bwd_cuda(vq4j_ctx* ctx, const float* logits, const int* targets, float* dlogits,
                          float scale, int rows, int k);

}  // namespace vq4j

#endif
