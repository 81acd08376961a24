// The op half of the C API: validates what can be validated without reading tensor contents, then
// hands the call to the backend the context names. Failures carry the op name in front of the message.
#include <cstdio>
#include <cstring>

#include "adam/adam.h"
#include "context.h"
#include "conv2d/conv2d.h"
#include "conv_transpose2d/conv_transpose2d.h"
#include "elementwise/elementwise.h"
#include "embedding/embedding.h"
#include "fsq/fsq.h"
#include "gated_activation/gated_activation.h"
#include "losses/losses.h"
#include "masked_conv2d/masked_conv2d.h"
#include "masked_conv2d_direct/masked_conv2d_direct.h"
#include "vq_ema_update/vq_ema_update.h"
#include "vq_dead_codes/vq_dead_codes.h"
#include "vq_quantize/vq_quantize.h"
#include "vq_rotate_grad/vq_rotate_grad.h"

namespace {

// Clears the last error, honours an injected failure, runs the op and prefixes its error with the op name.
template <class Body>
int run(vq4j_ctx* ctx, const char* op, Body body) {
  if (ctx == nullptr) return VQ4J_ERR_ARGUMENT;
  ctx->error[0] = '\0';
  int status;
  if (ctx->status != VQ4J_OK) {
    status = VQ4J_FAIL(ctx, ctx->status, "the context could not be opened");
  } else if (ctx->inject_failure) {
    ctx->inject_failure = false;
    status = VQ4J_FAIL(ctx, VQ4J_ERR_ARGUMENT, "injected failure (test hook)");
  } else {
    status = body();
  }
  if (status != VQ4J_OK) {
    char message[sizeof ctx->error + 64];
    std::snprintf(message, sizeof message, "vq4j_%s: %s", op, ctx->error[0] ? ctx->error : "failed");
    std::snprintf(ctx->error, sizeof ctx->error, "%.*s", static_cast<int>(sizeof ctx->error) - 1, message);
  }
  return status;
}

int check_conv(vq4j_ctx* ctx, int n, int h, int wd, int ci, int co, int kh, int kw, int stride, int pad,
               bool transposed) {
  VQ4J_REQUIRE(ctx, n > 0 && h > 0 && wd > 0 && ci > 0 && co > 0,
               "sizes must be positive: n=%d h=%d w=%d ci=%d co=%d", n, h, wd, ci, co);
  VQ4J_REQUIRE(ctx, kh > 0 && kw > 0 && stride > 0 && pad >= 0,
               "bad geometry: kernel %dx%d stride %d pad %d", kh, kw, stride, pad);
  int oh = transposed ? (h - 1) * stride - 2 * pad + kh : (h + 2 * pad - kh) / stride + 1;
  int ow = transposed ? (wd - 1) * stride - 2 * pad + kw : (wd + 2 * pad - kw) / stride + 1;
  bool fits = transposed || (h + 2 * pad >= kh && wd + 2 * pad >= kw);
  VQ4J_REQUIRE(ctx, fits && oh > 0 && ow > 0,
               "input %dx%d with kernel %dx%d stride %d pad %d gives no output", h, wd, kh, kw, stride,
               pad);
  return VQ4J_OK;
}

int check_fsq(vq4j_ctx* ctx, const int* levels, int rows, int d) {
  VQ4J_REQUIRE(ctx, levels != nullptr, "null levels");
  VQ4J_REQUIRE(ctx, rows > 0 && d > 0 && d <= vq4j::kFsqMaxDims, "need rows > 0 and 1 <= d <= %d: rows=%d d=%d",
               vq4j::kFsqMaxDims, rows, d);
  long long codes = 1;
  for (int i = 0; i < d; ++i) {
    VQ4J_REQUIRE(ctx, levels[i] >= 2, "levels[%d] = %d, must be >= 2", i, levels[i]);
    codes *= levels[i];
    VQ4J_REQUIRE(ctx, codes < (1LL << 31), "the levels' product passes 2^31 at levels[%d]", i);
  }
  return VQ4J_OK;
}

int check_masked(vq4j_ctx* ctx, int n, int h, int wd, int ci, int co, int k, int mask) {
  VQ4J_REQUIRE(ctx, k > 0 && k % 2 == 1, "kernel size must be odd and positive, got %d", k);
  VQ4J_REQUIRE(ctx, mask >= VQ4J_MASK_A && mask <= VQ4J_MASK_H_B, "unknown mask %d", mask);
  return check_conv(ctx, n, h, wd, ci, co, k, k, 1, k / 2, false);
}

}  // namespace

#define REQUIRE_PTRS(cond) VQ4J_REQUIRE(ctx, (cond), "null tensor pointer")

#ifdef VQ4J_WITH_CUDA
#define ON_BACKEND(op, ...) \
  (ctx->device < 0 ? vq4j::op##_cpu(ctx, __VA_ARGS__) : vq4j::op##_cuda(ctx, __VA_ARGS__))
#else
#define ON_BACKEND(op, ...) vq4j::op##_cpu(ctx, __VA_ARGS__)
#endif

extern "C" {

int vq4j_conv2d_fwd(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y, int n, int h,
                    int wd, int ci, int co, int kh, int kw, int stride, int pad) {
  return run(ctx, "conv2d_fwd", [&] {
    REQUIRE_PTRS(x && w && y);
    VQ4J_TRY(check_conv(ctx, n, h, wd, ci, co, kh, kw, stride, pad, false));
    return ON_BACKEND(conv2d_fwd, x, w, b, y, n, h, wd, ci, co, kh, kw, stride, pad);
  });
}

int vq4j_conv2d_bwd_data(vq4j_ctx* ctx, const float* dy, const float* w, float* dx, int n, int h, int wd,
                         int ci, int co, int kh, int kw, int stride, int pad) {
  return run(ctx, "conv2d_bwd_data", [&] {
    REQUIRE_PTRS(dy && w && dx);
    VQ4J_TRY(check_conv(ctx, n, h, wd, ci, co, kh, kw, stride, pad, false));
    return ON_BACKEND(conv2d_bwd_data, dy, w, dx, n, h, wd, ci, co, kh, kw, stride, pad);
  });
}

int vq4j_conv2d_bwd_weight(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db, int n,
                           int h, int wd, int ci, int co, int kh, int kw, int stride, int pad) {
  return run(ctx, "conv2d_bwd_weight", [&] {
    REQUIRE_PTRS(x && dy && dw);
    VQ4J_TRY(check_conv(ctx, n, h, wd, ci, co, kh, kw, stride, pad, false));
    return ON_BACKEND(conv2d_bwd_weight, x, dy, dw, db, n, h, wd, ci, co, kh, kw, stride, pad);
  });
}

int vq4j_conv_transpose2d_fwd(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y,
                              int n, int h, int wd, int ci, int co, int kh, int kw, int stride, int pad) {
  return run(ctx, "conv_transpose2d_fwd", [&] {
    REQUIRE_PTRS(x && w && y);
    VQ4J_TRY(check_conv(ctx, n, h, wd, ci, co, kh, kw, stride, pad, true));
    return ON_BACKEND(conv_transpose2d_fwd, x, w, b, y, n, h, wd, ci, co, kh, kw, stride, pad);
  });
}

int vq4j_conv_transpose2d_bwd_data(vq4j_ctx* ctx, const float* dy, const float* w, float* dx, int n, int h,
                                   int wd, int ci, int co, int kh, int kw, int stride, int pad) {
  return run(ctx, "conv_transpose2d_bwd_data", [&] {
    REQUIRE_PTRS(dy && w && dx);
    VQ4J_TRY(check_conv(ctx, n, h, wd, ci, co, kh, kw, stride, pad, true));
    return ON_BACKEND(conv_transpose2d_bwd_data, dy, w, dx, n, h, wd, ci, co, kh, kw, stride, pad);
  });
}

int vq4j_conv_transpose2d_bwd_weight(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db,
                                     int n, int h, int wd, int ci, int co, int kh, int kw, int stride,
                                     int pad) {
  return run(ctx, "conv_transpose2d_bwd_weight", [&] {
    REQUIRE_PTRS(x && dy && dw);
    VQ4J_TRY(check_conv(ctx, n, h, wd, ci, co, kh, kw, stride, pad, true));
    return ON_BACKEND(conv_transpose2d_bwd_weight, x, dy, dw, db, n, h, wd, ci, co, kh, kw, stride, pad);
  });
}

int vq4j_masked_conv2d_fwd(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y, int n,
                           int h, int wd, int ci, int co, int k, int mask) {
  return run(ctx, "masked_conv2d_fwd", [&] {
    REQUIRE_PTRS(x && w && y);
    VQ4J_TRY(check_masked(ctx, n, h, wd, ci, co, k, mask));
    return ON_BACKEND(masked_conv2d_fwd, x, w, b, y, n, h, wd, ci, co, k, mask);
  });
}

int vq4j_masked_conv2d_direct_fwd(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y,
                                  int n, int h, int wd, int ci, int co, int k, int mask) {
  return run(ctx, "masked_conv2d_direct_fwd", [&] {
    REQUIRE_PTRS(x && w && y);
    VQ4J_TRY(check_masked(ctx, n, h, wd, ci, co, k, mask));
    return ON_BACKEND(masked_conv2d_direct_fwd, x, w, b, y, n, h, wd, ci, co, k, mask);
  });
}

int vq4j_masked_conv2d_bwd_data(vq4j_ctx* ctx, const float* dy, const float* w, float* dx, int n, int h,
                                int wd, int ci, int co, int k, int mask) {
  return run(ctx, "masked_conv2d_bwd_data", [&] {
    REQUIRE_PTRS(dy && w && dx);
    VQ4J_TRY(check_masked(ctx, n, h, wd, ci, co, k, mask));
    return ON_BACKEND(masked_conv2d_bwd_data, dy, w, dx, n, h, wd, ci, co, k, mask);
  });
}

int vq4j_masked_conv2d_bwd_weight(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db,
                                  int n, int h, int wd, int ci, int co, int k, int mask) {
  return run(ctx, "masked_conv2d_bwd_weight", [&] {
    REQUIRE_PTRS(x && dy && dw);
    VQ4J_TRY(check_masked(ctx, n, h, wd, ci, co, k, mask));
    return ON_BACKEND(masked_conv2d_bwd_weight, x, dy, dw, db, n, h, wd, ci, co, k, mask);
  });
}

int vq4j_relu_fwd(vq4j_ctx* ctx, const float* x, float* y, long long count) {
  return run(ctx, "relu_fwd", [&] {
    REQUIRE_PTRS(x && y);
    VQ4J_REQUIRE(ctx, count >= 0, "negative count %lld", count);
    return ON_BACKEND(relu_fwd, x, y, count);
  });
}

int vq4j_relu_bwd(vq4j_ctx* ctx, const float* y, const float* dy, float* dx, long long count) {
  return run(ctx, "relu_bwd", [&] {
    REQUIRE_PTRS(y && dy && dx);
    VQ4J_REQUIRE(ctx, count >= 0, "negative count %lld", count);
    return ON_BACKEND(relu_bwd, y, dy, dx, count);
  });
}

int vq4j_add(vq4j_ctx* ctx, const float* a, const float* b, float* y, long long count) {
  return run(ctx, "add", [&] {
    REQUIRE_PTRS(a && b && y);
    VQ4J_REQUIRE(ctx, count >= 0, "negative count %lld", count);
    return ON_BACKEND(add, a, b, y, count);
  });
}

int vq4j_vq_quantize_fwd(vq4j_ctx* ctx, const float* z_e, const float* codebook, int* codes, float* z_q,
                         int rows, int d, int k) {
  return run(ctx, "vq_quantize_fwd", [&] {
    REQUIRE_PTRS(z_e && codebook && codes && z_q);
    VQ4J_REQUIRE(ctx, rows > 0 && d > 0 && k > 0, "sizes must be positive: rows=%d d=%d k=%d", rows, d, k);
    return ON_BACKEND(vq_quantize_fwd, z_e, codebook, codes, z_q, rows, d, k);
  });
}

int vq4j_vq_loss(vq4j_ctx* ctx, const float* z_e, const float* z_q, float* loss, int rows, int d) {
  return run(ctx, "vq_loss", [&] {
    REQUIRE_PTRS(z_e && z_q && loss);
    VQ4J_REQUIRE(ctx, rows > 0 && d > 0, "sizes must be positive: rows=%d d=%d", rows, d);
    return ON_BACKEND(vq_loss, z_e, z_q, loss, rows, d);
  });
}

int vq4j_vq_quantize_bwd(vq4j_ctx* ctx, const float* z_e, const float* z_q, const int* codes,
                         const float* dz_q, float* dz_e, float* dcodebook, float beta,
                         float codebook_weight, int rows, int d, int k) {
  return run(ctx, "vq_quantize_bwd", [&] {
    REQUIRE_PTRS(z_e && z_q && codes && dz_q && dz_e);
    VQ4J_REQUIRE(ctx, rows > 0 && d > 0 && k > 0, "sizes must be positive: rows=%d d=%d k=%d", rows, d, k);
    return ON_BACKEND(vq_quantize_bwd, z_e, z_q, codes, dz_q, dz_e, dcodebook, beta, codebook_weight, rows,
                      d, k);
  });
}

int vq4j_vq_rotate_grad(vq4j_ctx* ctx, const float* z_e, const float* z_q, const float* dz_q, float* dz_rot,
                        int rows, int d) {
  return run(ctx, "vq_rotate_grad", [&] {
    REQUIRE_PTRS(z_e && z_q && dz_q && dz_rot);
    VQ4J_REQUIRE(ctx, rows > 0 && d > 0, "sizes must be positive: rows=%d d=%d", rows, d);
    return ON_BACKEND(vq_rotate_grad, z_e, z_q, dz_q, dz_rot, rows, d);
  });
}

int vq4j_fsq_fwd(vq4j_ctx* ctx, const float* z, const int* levels, int* codes, float* z_q, int rows, int d) {
  return run(ctx, "fsq_fwd", [&] {
    REQUIRE_PTRS(z && codes && z_q);
    VQ4J_TRY(check_fsq(ctx, levels, rows, d));
    return ON_BACKEND(fsq_fwd, z, levels, codes, z_q, rows, d);
  });
}

int vq4j_fsq_bwd(vq4j_ctx* ctx, const float* z, const int* levels, const float* dz_q, float* dz, int rows, int d) {
  return run(ctx, "fsq_bwd", [&] {
    REQUIRE_PTRS(z && dz_q && dz);
    VQ4J_TRY(check_fsq(ctx, levels, rows, d));
    return ON_BACKEND(fsq_bwd, z, levels, dz_q, dz, rows, d);
  });
}

int vq4j_vq_stats(vq4j_ctx* ctx, const int* codes, float* counts, float* perplexity, int rows, int k) {
  return run(ctx, "vq_stats", [&] {
    REQUIRE_PTRS(codes && counts && perplexity);
    VQ4J_REQUIRE(ctx, rows > 0 && k > 0, "sizes must be positive: rows=%d k=%d", rows, k);
    return ON_BACKEND(vq_stats, codes, counts, perplexity, rows, k);
  });
}

int vq4j_vq_ema_update(vq4j_ctx* ctx, const float* z_e, const int* codes, float* ema_count,
                       float* ema_sum, float* codebook, float gamma, float eps, int rows, int d, int k) {
  return run(ctx, "vq_ema_update", [&] {
    REQUIRE_PTRS(z_e && codes && ema_count && ema_sum && codebook);
    VQ4J_REQUIRE(ctx, rows > 0 && d > 0 && k > 0, "sizes must be positive: rows=%d d=%d k=%d", rows, d, k);
    VQ4J_REQUIRE(ctx, gamma >= 0.0f && gamma < 1.0f, "gamma must be in [0, 1), got %g", gamma);
    VQ4J_REQUIRE(ctx, eps > 0.0f, "eps must be positive, got %g", eps);
    return ON_BACKEND(vq_ema_update, z_e, codes, ema_count, ema_sum, codebook, gamma, eps, rows, d, k);
  });
}

int vq4j_gated_activation_fwd(vq4j_ctx* ctx, const float* x, float* y, int rows, int c) {
  return run(ctx, "gated_activation_fwd", [&] {
    REQUIRE_PTRS(x && y);
    VQ4J_REQUIRE(ctx, rows > 0 && c > 0, "sizes must be positive: rows=%d c=%d", rows, c);
    return ON_BACKEND(gated_activation_fwd, x, y, rows, c);
  });
}

int vq4j_gated_activation_bwd(vq4j_ctx* ctx, const float* x, const float* dy, float* dx, int rows, int c) {
  return run(ctx, "gated_activation_bwd", [&] {
    REQUIRE_PTRS(x && dy && dx);
    VQ4J_REQUIRE(ctx, rows > 0 && c > 0, "sizes must be positive: rows=%d c=%d", rows, c);
    return ON_BACKEND(gated_activation_bwd, x, dy, dx, rows, c);
  });
}

int vq4j_mse_fwd(vq4j_ctx* ctx, const float* pred, const float* target, float* loss, long long count) {
  return run(ctx, "mse_fwd", [&] {
    REQUIRE_PTRS(pred && target && loss);
    VQ4J_REQUIRE(ctx, count > 0, "count must be positive, got %lld", count);
    return ON_BACKEND(mse_fwd, pred, target, loss, count);
  });
}

int vq4j_mse_bwd(vq4j_ctx* ctx, const float* pred, const float* target, float* dpred, float scale,
                 long long count) {
  return run(ctx, "mse_bwd", [&] {
    REQUIRE_PTRS(pred && target && dpred);
    VQ4J_REQUIRE(ctx, count > 0, "count must be positive, got %lld", count);
    return ON_BACKEND(mse_bwd, pred, target, dpred, scale, count);
  });
}

int vq4j_softmax_xent_fwd(vq4j_ctx* ctx, const float* logits, const int* targets, float* loss, float* nll,
                          int rows, int k) {
  return run(ctx, "softmax_xent_fwd", [&] {
    REQUIRE_PTRS(logits && targets && loss);
    VQ4J_REQUIRE(ctx, rows > 0 && k > 0, "sizes must be positive: rows=%d k=%d", rows, k);
    return ON_BACKEND(softmax_xent_fwd, logits, targets, loss, nll, rows, k);
  });
}

int vq4j_softmax_xent_bwd(vq4j_ctx* ctx, const float* logits, const int* targets, float* dlogits,
                          float scale, int rows, int k) {
  return run(ctx, "softmax_xent_bwd", [&] {
    REQUIRE_PTRS(logits && targets && dlogits);
    VQ4J_REQUIRE(ctx, rows > 0 && k > 0, "sizes must be positive: rows=%d k=%d", rows, k);
    return ON_BACKEND(softmax_xent_bwd, logits, targets, dlogits, scale, rows, k);
  });
}

int vq4j_embedding_fwd(vq4j_ctx* ctx, const float* table, const int* ids, float* y, int rows, int d, int k) {
  return run(ctx, "embedding_fwd", [&] {
    REQUIRE_PTRS(table && ids && y);
    VQ4J_REQUIRE(ctx, rows > 0 && d > 0 && k > 0, "sizes must be positive: rows=%d d=%d k=%d", rows, d, k);
    return ON_BACKEND(embedding_fwd, table, ids, y, rows, d, k);
  });
}

int vq4j_embedding_bwd(vq4j_ctx* ctx, const int* ids, const float* dy, float* dtable, int rows, int d,
                       int k) {
  return run(ctx, "embedding_bwd", [&] {
    REQUIRE_PTRS(ids && dy && dtable);
    VQ4J_REQUIRE(ctx, rows > 0 && d > 0 && k > 0, "sizes must be positive: rows=%d d=%d k=%d", rows, d, k);
    return ON_BACKEND(embedding_bwd, ids, dy, dtable, rows, d, k);
  });
}

int vq4j_adam_step(vq4j_ctx* ctx, float* param, const float* grad, float* m, float* v, long long count,
                   double lr, double beta1, double beta2, double eps, double weight_decay, int t) {
  return run(ctx, "adam_step", [&] {
    REQUIRE_PTRS(param && grad && m && v);
    VQ4J_REQUIRE(ctx, count >= 0, "negative count %lld", count);
    VQ4J_REQUIRE(ctx, t >= 1, "step must be >= 1, got %d", t);
    VQ4J_REQUIRE(ctx, beta1 >= 0.0f && beta1 < 1.0f && beta2 >= 0.0f && beta2 < 1.0f,
                 "betas must be in [0, 1), got %g and %g", beta1, beta2);
    return ON_BACKEND(adam_step, param, grad, m, v, count, lr, beta1, beta2, eps, weight_decay, t);
  });
}

int vq4j_adam_reset_rows(vq4j_ctx* ctx, float* m, float* v, const int* mask, int rows, int width) {
  return run(ctx, "adam_reset_rows", [&] {
    REQUIRE_PTRS(m && v && mask);
    VQ4J_REQUIRE(ctx, rows > 0 && width > 0, "sizes must be positive: rows=%d width=%d", rows, width);
    return ON_BACKEND(adam_reset_rows, m, v, mask, rows, width);
  });
}

int vq4j_vq_dead_codes(vq4j_ctx* ctx, const float* counts, float* usage, const float* z_e, float* codebook,
                       float* ema_count, float* ema_sum, int* restarted, float* dead, int rows, int d, int k,
                       double decay, float threshold, int restart, unsigned long long key) {
  return run(ctx, "vq_dead_codes", [&] {
    REQUIRE_PTRS(counts && usage && z_e && codebook && restarted && dead);
    VQ4J_REQUIRE(ctx, (ema_count == nullptr) == (ema_sum == nullptr),
                 "ema_count and ema_sum must both be given (EMA codebook) or both be NULL");
    VQ4J_REQUIRE(ctx, rows > 0 && d > 0 && k > 0, "sizes must be positive: rows=%d d=%d k=%d", rows, d, k);
    VQ4J_REQUIRE(ctx, decay >= 0.0 && decay < 1.0, "decay must be in [0, 1), got %g", decay);
    return ON_BACKEND(vq_dead_codes, counts, usage, z_e, codebook, ema_count, ema_sum, restarted, dead, rows, d,
                      k, decay, threshold, restart, key);
  });
}

}  // extern "C"
