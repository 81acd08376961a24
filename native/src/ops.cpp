// The op half of the C API: validates what can be validated without reading tensor contents, then
// hands the call to the backend the context names. Failures carry the op name in front of the message.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>

#include "adam/adam.h"
#include "causal_attention/causal_attention.h"
#include "context.h"
#include "conv2d/conv2d.h"
#include "conv_transpose2d/conv_transpose2d.h"
#include "dropout/dropout.h"
#include "elementwise/elementwise.h"
#include "embedding/embedding.h"
#include "fsq/fsq.h"
#include "gated_activation/gated_activation.h"
#include "gelu/gelu.h"
#include "l2_normalize/l2_normalize.h"
#include "layer_norm/layer_norm.h"
#include "linear/linear.h"
#include "losses/losses.h"
#include "masked_conv2d/masked_conv2d.h"
#include "masked_conv2d_direct/masked_conv2d_direct.h"
#include "memory.h"
#include "vq_code_sums/vq_code_sums.h"
#include "vq_dead_codes/vq_dead_codes.h"
#include "vq_ema_update/vq_ema_update.h"
#include "vq_quantize/vq_quantize.h"
#include "vq_restart_candidates/vq_restart_candidates.h"
#include "vq_rotate_grad/vq_rotate_grad.h"

namespace {

int select_device([[maybe_unused]] vq4j_ctx* ctx) {
#ifdef VQ4J_WITH_CUDA
  if (ctx->device >= 0) return vq4j::use_device(ctx);
#endif
  return VQ4J_OK;
}

// Clears the last error, honours an injected failure, makes a CUDA context's device current (the one place
// that does, for every op), runs the op and prefixes its error with the op name.
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
    status = select_device(ctx);
    if (status == VQ4J_OK) status = body();
  }
  if (status != VQ4J_OK) {
    char message[sizeof ctx->error + 64];
    std::snprintf(message, sizeof message, "vq4j_%s: %s", op, ctx->error[0] ? ctx->error : "failed");
    std::snprintf(ctx->error, sizeof ctx->error, "%.*s", static_cast<int>(sizeof ctx->error) - 1, message);
  }
  return status;
}

// Tensors an op may address: the kernels index them with int arithmetic in places (BLAS dimensions).
constexpr long long kMaxElements = 0x7fffffffLL;

// The product of non-negative sizes, or -1 once it passes kMaxElements (so it never wraps).
long long extent(std::initializer_list<long long> dims) {
  long long e = 1;
  for (long long d : dims) {
    if (d < 0 || (d > 0 && e > kMaxElements / d)) return -1;
    e *= d;
  }
  return e;
}

#define REQUIRE_EXTENT(name, ...)                                                          \
  VQ4J_REQUIRE(ctx, extent({__VA_ARGS__}) >= 0, "%s has more than %lld elements", (name), \
               kMaxElements)

// One operand: its address and extent in bytes (0 for an absent optional one).
struct Span {
  const char* name;
  const void* p;
  long long bytes;
};

Span span(const char* name, const void* p, std::initializer_list<long long> dims, long long element = 4) {
  return {name, p, p == nullptr ? 0 : extent(dims) * element};
}

bool overlap(const Span& a, const Span& b) {
  if (a.p == nullptr || b.p == nullptr || a.bytes <= 0 || b.bytes <= 0) return false;
  auto x = reinterpret_cast<uintptr_t>(a.p);
  auto y = reinterpret_cast<uintptr_t>(b.p);
  return x < y + static_cast<uintptr_t>(b.bytes) && y < x + static_cast<uintptr_t>(a.bytes);
}

// Refuses an output that shares memory with another operand. Only the elementwise ops and the in-place
// updates (adam, the EMA state) are written to support it; the others read inputs while writing outputs,
// so an alias would corrupt the result silently.
int check_no_alias(vq4j_ctx* ctx, std::initializer_list<Span> outs, std::initializer_list<Span> ins) {
  for (const Span& o : outs) {
    for (const Span& i : ins) {
      VQ4J_REQUIRE(ctx, !overlap(o, i), "output %s overlaps input %s (this op does not support aliasing)",
                   o.name, i.name);
    }
    for (const Span& o2 : outs) {
      VQ4J_REQUIRE(ctx, &o == &o2 || !overlap(o, o2), "outputs %s and %s overlap", o.name, o2.name);
    }
  }
  return VQ4J_OK;
}

// The geometry of a conv call, in 64-bit arithmetic so that no size can wrap.
struct ConvGeom {
  long long oh, ow;
};

int check_conv(vq4j_ctx* ctx, int n, int h, int wd, int ci, int co, int kh, int kw, int stride, int pad,
               bool transposed, ConvGeom* g) {
  VQ4J_REQUIRE(ctx, n > 0 && h > 0 && wd > 0 && ci > 0 && co > 0,
               "sizes must be positive: n=%d h=%d w=%d ci=%d co=%d", n, h, wd, ci, co);
  VQ4J_REQUIRE(ctx, kh > 0 && kw > 0 && stride > 0 && pad >= 0,
               "bad geometry: kernel %dx%d stride %d pad %d", kh, kw, stride, pad);
  const long long s = stride, p = pad;
  const long long oh = transposed ? (h - 1LL) * s - 2 * p + kh : (h + 2 * p - kh) / s + 1;
  const long long ow = transposed ? (wd - 1LL) * s - 2 * p + kw : (wd + 2 * p - kw) / s + 1;
  const bool fits = transposed || (h + 2 * p >= kh && wd + 2 * p >= kw);
  VQ4J_REQUIRE(ctx, fits && oh > 0 && ow > 0,
               "input %dx%d with kernel %dx%d stride %d pad %d gives no output", h, wd, kh, kw, stride,
               pad);
  VQ4J_REQUIRE(ctx, oh <= kMaxElements && ow <= kMaxElements, "output %lldx%lld is too large", oh, ow);
  REQUIRE_EXTENT("the input", n, h, wd, ci);
  REQUIRE_EXTENT("the output", n, oh, ow, co);
  REQUIRE_EXTENT("the weight", co, kh, kw, ci);
  REQUIRE_EXTENT("the im2col row", kh, kw, transposed ? co : ci);
  g->oh = oh;
  g->ow = ow;
  return VQ4J_OK;
}

int check_fsq(vq4j_ctx* ctx, const int* levels, int rows, int d) {
  VQ4J_REQUIRE(ctx, levels != nullptr, "null levels");
  VQ4J_REQUIRE(ctx, rows > 0 && d > 0 && d <= vq4j::kFsqMaxDims, "need rows > 0 and 1 <= d <= %d: rows=%d d=%d",
               vq4j::kFsqMaxDims, rows, d);
  REQUIRE_EXTENT("z", rows, d);
  long long codes = 1;
  for (int i = 0; i < d; ++i) {
    VQ4J_REQUIRE(ctx, levels[i] >= 2, "levels[%d] = %d, must be >= 2", i, levels[i]);
    codes *= levels[i];
    VQ4J_REQUIRE(ctx, codes < (1LL << 31), "the levels' product passes 2^31 at levels[%d]", i);
  }
  return VQ4J_OK;
}

int check_masked(vq4j_ctx* ctx, int n, int h, int wd, int ci, int co, int k, int mask, ConvGeom* g) {
  VQ4J_REQUIRE(ctx, k > 0 && k % 2 == 1, "kernel size must be odd and positive, got %d", k);
  VQ4J_REQUIRE(ctx, mask >= VQ4J_MASK_A && mask <= VQ4J_MASK_H_B, "unknown mask %d", mask);
  return check_conv(ctx, n, h, wd, ci, co, k, k, 1, k / 2, false, g);
}

// Sizes of a rows x d op over a k-row table, all positive and addressable.
int check_rows(vq4j_ctx* ctx, int rows, int d, int k) {
  VQ4J_REQUIRE(ctx, rows > 0 && d > 0 && k > 0, "sizes must be positive: rows=%d d=%d k=%d", rows, d, k);
  REQUIRE_EXTENT("the vectors", rows, d);
  REQUIRE_EXTENT("the table", k, d);
  return VQ4J_OK;
}

}  // namespace

#define REQUIRE_PTRS(cond) VQ4J_REQUIRE(ctx, (cond), "null tensor pointer")

#ifdef VQ4J_WITH_CUDA
#define ON_BACKEND(op, ...) \
  (ctx->device < 0 ? vq4j::op##_cpu(ctx, __VA_ARGS__) : vq4j::op##_cuda(ctx, __VA_ARGS__))
#else
#define ON_BACKEND(op, ...) vq4j::op##_cpu(ctx, __VA_ARGS__)
#endif

// An op with a CPU fast path op_<path> runs it on a CPU context; the hand-written op_cpu stays the
// reference, chosen with VQ4J_OPT_CPU_REFERENCE.
#define ON_FAST_BACKEND(op, path, ...) \
  (ctx->device < 0 && !ctx->cpu_reference ? vq4j::op##_##path(ctx, __VA_ARGS__) : ON_BACKEND(op, __VA_ARGS__))

// The convolutions' CPU fast path is oneDNN (op_dnnl, kernels/common/conv_dnnl.h). The masked convolutions
// stay on op_cpu: its GEMM takes only the kept taps (5 of 9 for mask B 3x3, 24 of 49 for mask A 7x7), and
// measured 1.25-1.5x faster than oneDNN's primitive over all the taps (bench/RESULTS.md, "The CPU backend
// against PyTorch").
#define ON_CONV_BACKEND(op, ...) ON_FAST_BACKEND(op, dnnl, __VA_ARGS__)

extern "C" {

int vq4j_conv2d_fwd(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y, int n, int h,
                    int wd, int ci, int co, int kh, int kw, int stride, int pad) {
  return run(ctx, "conv2d_fwd", [&] {
    REQUIRE_PTRS(x && w && y);
    ConvGeom g;
    VQ4J_TRY(check_conv(ctx, n, h, wd, ci, co, kh, kw, stride, pad, false, &g));
    VQ4J_TRY(check_no_alias(ctx, {span("y", y, {n, g.oh, g.ow, co})},
                            {span("x", x, {n, h, wd, ci}), span("w", w, {co, kh, kw, ci}), span("b", b, {co})}));
    return ON_CONV_BACKEND(conv2d_fwd, x, w, b, y, n, h, wd, ci, co, kh, kw, stride, pad);
  });
}

int vq4j_conv2d_bwd_data(vq4j_ctx* ctx, const float* dy, const float* w, float* dx, int n, int h, int wd,
                         int ci, int co, int kh, int kw, int stride, int pad) {
  return run(ctx, "conv2d_bwd_data", [&] {
    REQUIRE_PTRS(dy && w && dx);
    ConvGeom g;
    VQ4J_TRY(check_conv(ctx, n, h, wd, ci, co, kh, kw, stride, pad, false, &g));
    VQ4J_TRY(check_no_alias(ctx, {span("dx", dx, {n, h, wd, ci})},
                            {span("dy", dy, {n, g.oh, g.ow, co}), span("w", w, {co, kh, kw, ci})}));
    return ON_CONV_BACKEND(conv2d_bwd_data, dy, w, dx, n, h, wd, ci, co, kh, kw, stride, pad);
  });
}

int vq4j_conv2d_bwd_weight(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db, int n,
                           int h, int wd, int ci, int co, int kh, int kw, int stride, int pad) {
  return run(ctx, "conv2d_bwd_weight", [&] {
    REQUIRE_PTRS(x && dy && dw);
    ConvGeom g;
    VQ4J_TRY(check_conv(ctx, n, h, wd, ci, co, kh, kw, stride, pad, false, &g));
    VQ4J_TRY(check_no_alias(ctx, {span("dw", dw, {co, kh, kw, ci}), span("db", db, {co})},
                            {span("x", x, {n, h, wd, ci}), span("dy", dy, {n, g.oh, g.ow, co})}));
    return ON_CONV_BACKEND(conv2d_bwd_weight, x, dy, dw, db, n, h, wd, ci, co, kh, kw, stride, pad);
  });
}

int vq4j_conv_transpose2d_fwd(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y,
                              int n, int h, int wd, int ci, int co, int kh, int kw, int stride, int pad) {
  return run(ctx, "conv_transpose2d_fwd", [&] {
    REQUIRE_PTRS(x && w && y);
    ConvGeom g;
    VQ4J_TRY(check_conv(ctx, n, h, wd, ci, co, kh, kw, stride, pad, true, &g));
    VQ4J_TRY(check_no_alias(ctx, {span("y", y, {n, g.oh, g.ow, co})},
                            {span("x", x, {n, h, wd, ci}), span("w", w, {ci, kh, kw, co}), span("b", b, {co})}));
    return ON_CONV_BACKEND(conv_transpose2d_fwd, x, w, b, y, n, h, wd, ci, co, kh, kw, stride, pad);
  });
}

int vq4j_conv_transpose2d_bwd_data(vq4j_ctx* ctx, const float* dy, const float* w, float* dx, int n, int h,
                                   int wd, int ci, int co, int kh, int kw, int stride, int pad) {
  return run(ctx, "conv_transpose2d_bwd_data", [&] {
    REQUIRE_PTRS(dy && w && dx);
    ConvGeom g;
    VQ4J_TRY(check_conv(ctx, n, h, wd, ci, co, kh, kw, stride, pad, true, &g));
    VQ4J_TRY(check_no_alias(ctx, {span("dx", dx, {n, h, wd, ci})},
                            {span("dy", dy, {n, g.oh, g.ow, co}), span("w", w, {ci, kh, kw, co})}));
    return ON_CONV_BACKEND(conv_transpose2d_bwd_data, dy, w, dx, n, h, wd, ci, co, kh, kw, stride, pad);
  });
}

int vq4j_conv_transpose2d_bwd_weight(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db,
                                     int n, int h, int wd, int ci, int co, int kh, int kw, int stride,
                                     int pad) {
  return run(ctx, "conv_transpose2d_bwd_weight", [&] {
    REQUIRE_PTRS(x && dy && dw);
    ConvGeom g;
    VQ4J_TRY(check_conv(ctx, n, h, wd, ci, co, kh, kw, stride, pad, true, &g));
    VQ4J_TRY(check_no_alias(ctx, {span("dw", dw, {ci, kh, kw, co}), span("db", db, {co})},
                            {span("x", x, {n, h, wd, ci}), span("dy", dy, {n, g.oh, g.ow, co})}));
    return ON_CONV_BACKEND(conv_transpose2d_bwd_weight, x, dy, dw, db, n, h, wd, ci, co, kh, kw, stride, pad);
  });
}

int vq4j_masked_conv2d_fwd(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y, int n,
                           int h, int wd, int ci, int co, int k, int mask) {
  return run(ctx, "masked_conv2d_fwd", [&] {
    REQUIRE_PTRS(x && w && y);
    ConvGeom g;
    VQ4J_TRY(check_masked(ctx, n, h, wd, ci, co, k, mask, &g));
    VQ4J_TRY(check_no_alias(ctx, {span("y", y, {n, h, wd, co})},
                            {span("x", x, {n, h, wd, ci}), span("w", w, {co, k, k, ci}), span("b", b, {co})}));
    return ON_BACKEND(masked_conv2d_fwd, x, w, b, y, n, h, wd, ci, co, k, mask);
  });
}

int vq4j_masked_conv2d_direct_fwd(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y,
                                  int n, int h, int wd, int ci, int co, int k, int mask) {
  return run(ctx, "masked_conv2d_direct_fwd", [&] {
    REQUIRE_PTRS(x && w && y);
    ConvGeom g;
    VQ4J_TRY(check_masked(ctx, n, h, wd, ci, co, k, mask, &g));
    VQ4J_TRY(check_no_alias(ctx, {span("y", y, {n, h, wd, co})},
                            {span("x", x, {n, h, wd, ci}), span("w", w, {co, k, k, ci}), span("b", b, {co})}));
    return ON_BACKEND(masked_conv2d_direct_fwd, x, w, b, y, n, h, wd, ci, co, k, mask);
  });
}

int vq4j_masked_conv2d_bwd_data(vq4j_ctx* ctx, const float* dy, const float* w, float* dx, int n, int h,
                                int wd, int ci, int co, int k, int mask) {
  return run(ctx, "masked_conv2d_bwd_data", [&] {
    REQUIRE_PTRS(dy && w && dx);
    ConvGeom g;
    VQ4J_TRY(check_masked(ctx, n, h, wd, ci, co, k, mask, &g));
    VQ4J_TRY(check_no_alias(ctx, {span("dx", dx, {n, h, wd, ci})},
                            {span("dy", dy, {n, h, wd, co}), span("w", w, {co, k, k, ci})}));
    return ON_BACKEND(masked_conv2d_bwd_data, dy, w, dx, n, h, wd, ci, co, k, mask);
  });
}

int vq4j_masked_conv2d_bwd_weight(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db,
                                  int n, int h, int wd, int ci, int co, int k, int mask) {
  return run(ctx, "masked_conv2d_bwd_weight", [&] {
    REQUIRE_PTRS(x && dy && dw);
    ConvGeom g;
    VQ4J_TRY(check_masked(ctx, n, h, wd, ci, co, k, mask, &g));
    VQ4J_TRY(check_no_alias(ctx, {span("dw", dw, {co, k, k, ci}), span("db", db, {co})},
                            {span("x", x, {n, h, wd, ci}), span("dy", dy, {n, h, wd, co})}));
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
    VQ4J_TRY(check_rows(ctx, rows, d, k));
    VQ4J_TRY(check_no_alias(ctx, {span("codes", codes, {rows}), span("z_q", z_q, {rows, d})},
                            {span("z_e", z_e, {rows, d}), span("codebook", codebook, {k, d})}));
    return ON_BACKEND(vq_quantize_fwd, z_e, codebook, codes, z_q, rows, d, k);
  });
}

int vq4j_vq_loss(vq4j_ctx* ctx, const float* z_e, const float* z_q, float* loss, int rows, int d) {
  return run(ctx, "vq_loss", [&] {
    REQUIRE_PTRS(z_e && z_q && loss);
    VQ4J_TRY(check_rows(ctx, rows, d, 1));
    VQ4J_TRY(check_no_alias(ctx, {span("loss", loss, {1})}, {span("z_e", z_e, {rows, d}), span("z_q", z_q, {rows, d})}));
    return ON_BACKEND(vq_loss, z_e, z_q, loss, rows, d);
  });
}

int vq4j_vq_quantize_bwd(vq4j_ctx* ctx, const float* z_e, const float* z_q, const int* codes,
                         const float* dz_q, float* dz_e, float* dcodebook, float beta,
                         float codebook_weight, int rows, int d, int k) {
  return run(ctx, "vq_quantize_bwd", [&] {
    REQUIRE_PTRS(z_e && z_q && codes && dz_q && dz_e);
    VQ4J_REQUIRE(ctx, rows > 0 && d > 0 && k > 0, "sizes must be positive: rows=%d d=%d k=%d", rows, d, k);
    REQUIRE_EXTENT("the vectors", rows, d);
    VQ4J_REQUIRE(ctx, dcodebook == nullptr || extent({k, d}) >= 0, "the codebook has more than %lld elements",
                 kMaxElements);
    // dz_e may be dz_q (each element reads its own gradient before writing it); nothing else may alias.
    VQ4J_TRY(check_no_alias(ctx, {span("dz_e", dz_e, {rows, d}), span("dcodebook", dcodebook, {k, d})},
                            {span("z_e", z_e, {rows, d}), span("z_q", z_q, {rows, d}), span("codes", codes, {rows})}));
    VQ4J_TRY(check_no_alias(ctx, {span("dcodebook", dcodebook, {k, d})}, {span("dz_q", dz_q, {rows, d})}));
    return ON_BACKEND(vq_quantize_bwd, z_e, z_q, codes, dz_q, dz_e, dcodebook, beta, codebook_weight, rows,
                      d, k);
  });
}

int vq4j_vq_rotate_grad(vq4j_ctx* ctx, const float* z_e, const float* z_q, const float* dz_q, float* dz_rot,
                        int rows, int d) {
  return run(ctx, "vq_rotate_grad", [&] {
    REQUIRE_PTRS(z_e && z_q && dz_q && dz_rot);
    VQ4J_TRY(check_rows(ctx, rows, d, 1));
    // dz_rot may be dz_q (each row reads its gradient before writing it); nothing else may alias.
    VQ4J_TRY(check_no_alias(ctx, {span("dz_rot", dz_rot, {rows, d})},
                            {span("z_e", z_e, {rows, d}), span("z_q", z_q, {rows, d})}));
    return ON_BACKEND(vq_rotate_grad, z_e, z_q, dz_q, dz_rot, rows, d);
  });
}

int vq4j_fsq_fwd(vq4j_ctx* ctx, const float* z, const int* levels, int* codes, float* z_q, int rows, int d) {
  return run(ctx, "fsq_fwd", [&] {
    REQUIRE_PTRS(z && codes && z_q);
    VQ4J_TRY(check_fsq(ctx, levels, rows, d));
    VQ4J_TRY(check_no_alias(ctx, {span("codes", codes, {rows}), span("z_q", z_q, {rows, d})},
                            {span("z", z, {rows, d})}));
    return ON_BACKEND(fsq_fwd, z, levels, codes, z_q, rows, d);
  });
}

int vq4j_fsq_bwd(vq4j_ctx* ctx, const float* z, const int* levels, const float* dz_q, float* dz, int rows, int d) {
  return run(ctx, "fsq_bwd", [&] {
    REQUIRE_PTRS(z && dz_q && dz);
    VQ4J_TRY(check_fsq(ctx, levels, rows, d));
    // dz may be dz_q (elementwise); not z.
    VQ4J_TRY(check_no_alias(ctx, {span("dz", dz, {rows, d})}, {span("z", z, {rows, d})}));
    return ON_BACKEND(fsq_bwd, z, levels, dz_q, dz, rows, d);
  });
}

int vq4j_l2_normalize_fwd(vq4j_ctx* ctx, const float* x, float* y, int rows, int d) {
  return run(ctx, "l2_normalize_fwd", [&] {
    REQUIRE_PTRS(x && y);
    VQ4J_TRY(check_rows(ctx, rows, d, 1));
    return ON_BACKEND(l2_normalize_fwd, x, y, rows, d);
  });
}

int vq4j_l2_normalize_bwd(vq4j_ctx* ctx, const float* x, const float* dy, float* dx, int rows, int d) {
  return run(ctx, "l2_normalize_bwd", [&] {
    REQUIRE_PTRS(x && dy && dx);
    VQ4J_TRY(check_rows(ctx, rows, d, 1));
    // dx may be dy (each row reads its gradient before writing it); not x.
    VQ4J_TRY(check_no_alias(ctx, {span("dx", dx, {rows, d})}, {span("x", x, {rows, d})}));
    return ON_BACKEND(l2_normalize_bwd, x, dy, dx, rows, d);
  });
}

int vq4j_vq_code_sums(vq4j_ctx* ctx, const int* codes, const float* z_e, float* counts, float* sums, int rows,
                      int d, int k) {
  return run(ctx, "vq_code_sums", [&] {
    REQUIRE_PTRS(codes && counts);
    VQ4J_REQUIRE(ctx, (z_e == nullptr) == (sums == nullptr), "z_e and sums must both be given or both be NULL");
    VQ4J_TRY(check_rows(ctx, rows, sums == nullptr ? 1 : d, k));
    VQ4J_TRY(check_no_alias(ctx, {span("counts", counts, {k}), span("sums", sums, {k, d})},
                            {span("codes", codes, {rows}), span("z_e", z_e, {rows, d})}));
    return ON_BACKEND(vq_code_sums, codes, z_e, counts, sums, rows, d, k);
  });
}

int vq4j_vq_stats(vq4j_ctx* ctx, const float* counts, float* perplexity, int k) {
  return run(ctx, "vq_stats", [&] {
    REQUIRE_PTRS(counts && perplexity);
    VQ4J_REQUIRE(ctx, k > 0, "k must be positive, got %d", k);
    VQ4J_TRY(check_no_alias(ctx, {span("perplexity", perplexity, {1})}, {span("counts", counts, {k})}));
    return ON_BACKEND(vq_stats, counts, perplexity, k);
  });
}

int vq4j_vq_ema_update(vq4j_ctx* ctx, const float* counts, const float* sums, float* ema_count, float* ema_sum,
                       float* codebook, float gamma, float eps, int d, int k) {
  return run(ctx, "vq_ema_update", [&] {
    REQUIRE_PTRS(counts && sums && ema_count && ema_sum && codebook);
    VQ4J_TRY(check_rows(ctx, k, d, k));
    VQ4J_TRY(check_no_alias(ctx, {span("ema_count", ema_count, {k}), span("ema_sum", ema_sum, {k, d}),
                                  span("codebook", codebook, {k, d})},
                            {span("counts", counts, {k}), span("sums", sums, {k, d})}));
    VQ4J_REQUIRE(ctx, gamma >= 0.0f && gamma < 1.0f, "gamma must be in [0, 1), got %g", gamma);
    VQ4J_REQUIRE(ctx, eps > 0.0f, "eps must be positive, got %g", eps);
    return ON_BACKEND(vq_ema_update, counts, sums, ema_count, ema_sum, codebook, gamma, eps, d, k);
  });
}

int vq4j_gated_activation_fwd(vq4j_ctx* ctx, const float* x, float* y, int rows, int c) {
  return run(ctx, "gated_activation_fwd", [&] {
    REQUIRE_PTRS(x && y);
    VQ4J_TRY(check_rows(ctx, rows, 2LL * c <= kMaxElements ? 2 * c : -1, 1));
    VQ4J_TRY(check_no_alias(ctx, {span("y", y, {rows, c})}, {span("x", x, {rows, 2LL * c})}));
    return ON_BACKEND(gated_activation_fwd, x, y, rows, c);
  });
}

int vq4j_gated_activation_bwd(vq4j_ctx* ctx, const float* x, const float* dy, float* dx, int rows, int c) {
  return run(ctx, "gated_activation_bwd", [&] {
    REQUIRE_PTRS(x && dy && dx);
    VQ4J_TRY(check_rows(ctx, rows, 2LL * c <= kMaxElements ? 2 * c : -1, 1));
    VQ4J_TRY(check_no_alias(ctx, {span("dx", dx, {rows, 2LL * c})},
                            {span("x", x, {rows, 2LL * c}), span("dy", dy, {rows, c})}));
    return ON_BACKEND(gated_activation_bwd, x, dy, dx, rows, c);
  });
}

int vq4j_mse_fwd(vq4j_ctx* ctx, const float* pred, const float* target, float* loss, long long count) {
  return run(ctx, "mse_fwd", [&] {
    REQUIRE_PTRS(pred && target && loss);
    VQ4J_REQUIRE(ctx, count > 0, "count must be positive, got %lld", count);
    VQ4J_TRY(check_no_alias(ctx, {span("loss", loss, {1})},
                            {span("pred", pred, {count}), span("target", target, {count})}));
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
    VQ4J_TRY(check_rows(ctx, rows, k, 1));
    VQ4J_TRY(check_no_alias(ctx, {span("loss", loss, {1}), span("nll", nll, {rows})},
                            {span("logits", logits, {rows, k}), span("targets", targets, {rows})}));
    return ON_FAST_BACKEND(softmax_xent_fwd, lanes, logits, targets, loss, nll, rows, k);
  });
}

int vq4j_softmax_xent_bwd(vq4j_ctx* ctx, const float* logits, const int* targets, float* dlogits,
                          float scale, int rows, int k) {
  return run(ctx, "softmax_xent_bwd", [&] {
    REQUIRE_PTRS(logits && targets && dlogits);
    VQ4J_TRY(check_rows(ctx, rows, k, 1));
    VQ4J_TRY(check_no_alias(ctx, {span("dlogits", dlogits, {rows, k})},
                            {span("logits", logits, {rows, k}), span("targets", targets, {rows})}));
    return ON_FAST_BACKEND(softmax_xent_bwd, lanes, logits, targets, dlogits, scale, rows, k);
  });
}

int vq4j_embedding_fwd(vq4j_ctx* ctx, const float* table, const int* ids, float* y, int rows, int d, int k) {
  return run(ctx, "embedding_fwd", [&] {
    REQUIRE_PTRS(table && ids && y);
    VQ4J_TRY(check_rows(ctx, rows, d, k));
    VQ4J_TRY(check_no_alias(ctx, {span("y", y, {rows, d})},
                            {span("table", table, {k, d}), span("ids", ids, {rows})}));
    return ON_BACKEND(embedding_fwd, table, ids, y, rows, d, k);
  });
}

int vq4j_embedding_bwd(vq4j_ctx* ctx, const int* ids, const float* dy, float* dtable, int rows, int d,
                       int k) {
  return run(ctx, "embedding_bwd", [&] {
    REQUIRE_PTRS(ids && dy && dtable);
    VQ4J_TRY(check_rows(ctx, rows, d, k));
    VQ4J_TRY(check_no_alias(ctx, {span("dtable", dtable, {k, d})},
                            {span("ids", ids, {rows}), span("dy", dy, {rows, d})}));
    return ON_BACKEND(embedding_bwd, ids, dy, dtable, rows, d, k);
  });
}

int vq4j_adam_step(vq4j_ctx* ctx, float* param, const float* grad, float* m, float* v, long long count,
                   double lr, double beta1, double beta2, double eps, double weight_decay, int t,
                   int decoupled) {
  return run(ctx, "adam_step", [&] {
    REQUIRE_PTRS(param && grad && m && v);
    VQ4J_REQUIRE(ctx, count >= 0, "negative count %lld", count);
    VQ4J_REQUIRE(ctx, t >= 1, "step must be >= 1, got %d", t);
    VQ4J_REQUIRE(ctx, beta1 >= 0.0f && beta1 < 1.0f && beta2 >= 0.0f && beta2 < 1.0f,
                 "betas must be in [0, 1), got %g and %g", beta1, beta2);
    return ON_BACKEND(adam_step, param, grad, m, v, count, lr, beta1, beta2, eps, weight_decay, t, decoupled);
  });
}

int vq4j_adam_reset_rows(vq4j_ctx* ctx, float* m, float* v, const int* mask, int rows, int width) {
  return run(ctx, "adam_reset_rows", [&] {
    REQUIRE_PTRS(m && v && mask);
    VQ4J_TRY(check_rows(ctx, rows, width, 1));
    VQ4J_TRY(check_no_alias(ctx, {span("m", m, {rows, width}), span("v", v, {rows, width})},
                            {span("mask", mask, {rows}, 4)}));
    return ON_BACKEND(adam_reset_rows, m, v, mask, rows, width);
  });
}

int vq4j_vq_restart_candidates(vq4j_ctx* ctx, const float* z_e, float* candidates, int rows, long long first_row,
                               long long total_rows, int d, int k, unsigned long long key) {
  return run(ctx, "vq_restart_candidates", [&] {
    REQUIRE_PTRS(z_e && candidates);
    VQ4J_TRY(check_rows(ctx, rows, d, k));
    VQ4J_REQUIRE(ctx, first_row >= 0 && total_rows >= first_row + rows && total_rows < (1ll << 31),
                 "need 0 <= first_row and first_row + rows <= total_rows < 2^31: first_row=%lld rows=%d "
                 "total_rows=%lld", first_row, rows, total_rows);
    VQ4J_TRY(check_no_alias(ctx, {span("candidates", candidates, {k, d})}, {span("z_e", z_e, {rows, d})}));
    return ON_BACKEND(vq_restart_candidates, z_e, candidates, rows, first_row, total_rows, d, k, key);
  });
}

int vq4j_vq_dead_codes(vq4j_ctx* ctx, const float* counts, float* usage, const float* candidates, float* codebook,
                       float* ema_count, float* ema_sum, int* restarted, float* dead, int d, int k, double decay,
                       float threshold, int restart) {
  return run(ctx, "vq_dead_codes", [&] {
    REQUIRE_PTRS(counts && usage && codebook && restarted && dead);
    VQ4J_REQUIRE(ctx, restart == 0 || candidates != nullptr, "a restart needs the candidates");
    VQ4J_REQUIRE(ctx, (ema_count == nullptr) == (ema_sum == nullptr),
                 "ema_count and ema_sum must both be given (EMA codebook) or both be NULL");
    VQ4J_TRY(check_rows(ctx, k, d, k));
    VQ4J_TRY(check_no_alias(ctx, {span("usage", usage, {k}), span("codebook", codebook, {k, d}),
                                  span("ema_count", ema_count, {k}), span("ema_sum", ema_sum, {k, d}),
                                  span("restarted", restarted, {k}), span("dead", dead, {1})},
                            {span("counts", counts, {k}), span("candidates", candidates, {k, d})}));
    VQ4J_REQUIRE(ctx, decay >= 0.0 && decay < 1.0, "decay must be in [0, 1), got %g", decay);
    return ON_BACKEND(vq_dead_codes, counts, usage, candidates, codebook, ema_count, ema_sum, restarted, dead, d,
                      k, decay, threshold, restart);
  });
}

int vq4j_layer_norm_fwd(vq4j_ctx* ctx, const float* x, const float* gamma, const float* beta, float* y,
                        float* mean, float* rstd, int rows, int c, float eps) {
  return run(ctx, "layer_norm_fwd", [&] {
    REQUIRE_PTRS(x && gamma && beta && y && mean && rstd);
    VQ4J_REQUIRE(ctx, rows > 0 && c > 0, "sizes must be positive: rows=%d c=%d", rows, c);
    VQ4J_REQUIRE(ctx, eps > 0.0f, "eps must be positive, got %g", eps);
    REQUIRE_EXTENT("x", rows, c);
    VQ4J_TRY(check_no_alias(ctx, {span("y", y, {rows, c}), span("mean", mean, {rows}), span("rstd", rstd, {rows})},
                            {span("x", x, {rows, c}), span("gamma", gamma, {c}), span("beta", beta, {c})}));
    return ON_BACKEND(layer_norm_fwd, x, gamma, beta, y, mean, rstd, rows, c, eps);
  });
}

int vq4j_layer_norm_bwd(vq4j_ctx* ctx, const float* x, const float* gamma, const float* mean, const float* rstd,
                        const float* dy, float* dx, float* dgamma, float* dbeta, int rows, int c) {
  return run(ctx, "layer_norm_bwd", [&] {
    REQUIRE_PTRS(x && gamma && mean && rstd && dy && dx && dgamma && dbeta);
    VQ4J_REQUIRE(ctx, rows > 0 && c > 0, "sizes must be positive: rows=%d c=%d", rows, c);
    REQUIRE_EXTENT("x", rows, c);
    VQ4J_TRY(check_no_alias(
        ctx, {span("dx", dx, {rows, c}), span("dgamma", dgamma, {c}), span("dbeta", dbeta, {c})},
        {span("x", x, {rows, c}), span("gamma", gamma, {c}), span("mean", mean, {rows}), span("rstd", rstd, {rows}),
         span("dy", dy, {rows, c})}));
    return ON_BACKEND(layer_norm_bwd, x, gamma, mean, rstd, dy, dx, dgamma, dbeta, rows, c);
  });
}

int vq4j_gelu_fwd(vq4j_ctx* ctx, const float* x, float* y, long long count) {
  return run(ctx, "gelu_fwd", [&] {
    REQUIRE_PTRS(x && y);
    VQ4J_REQUIRE(ctx, count >= 0, "negative count %lld", count);
    return ON_BACKEND(gelu_fwd, x, y, count);
  });
}

int vq4j_gelu_bwd(vq4j_ctx* ctx, const float* x, const float* dy, float* dx, long long count) {
  return run(ctx, "gelu_bwd", [&] {
    REQUIRE_PTRS(x && dy && dx);
    VQ4J_REQUIRE(ctx, count >= 0, "negative count %lld", count);
    return ON_BACKEND(gelu_bwd, x, dy, dx, count);
  });
}

int vq4j_linear_fwd(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y, int rows, int in,
                    int out) {
  return run(ctx, "linear_fwd", [&] {
    REQUIRE_PTRS(x && w && y);
    VQ4J_REQUIRE(ctx, rows > 0 && in > 0 && out > 0, "sizes must be positive: rows=%d in=%d out=%d", rows, in,
                 out);
    REQUIRE_EXTENT("x", rows, in);
    REQUIRE_EXTENT("y", rows, out);
    REQUIRE_EXTENT("w", out, in);
    VQ4J_TRY(check_no_alias(ctx, {span("y", y, {rows, out})},
                            {span("x", x, {rows, in}), span("w", w, {out, in}), span("b", b, {out})}));
    return ON_BACKEND(linear_fwd, x, w, b, y, rows, in, out);
  });
}

int vq4j_linear_bwd_data(vq4j_ctx* ctx, const float* dy, const float* w, float* dx, int rows, int in, int out) {
  return run(ctx, "linear_bwd_data", [&] {
    REQUIRE_PTRS(dy && w && dx);
    VQ4J_REQUIRE(ctx, rows > 0 && in > 0 && out > 0, "sizes must be positive: rows=%d in=%d out=%d", rows, in,
                 out);
    REQUIRE_EXTENT("dx", rows, in);
    REQUIRE_EXTENT("dy", rows, out);
    REQUIRE_EXTENT("w", out, in);
    VQ4J_TRY(check_no_alias(ctx, {span("dx", dx, {rows, in})}, {span("dy", dy, {rows, out}), span("w", w, {out, in})}));
    return ON_BACKEND(linear_bwd_data, dy, w, dx, rows, in, out);
  });
}

int vq4j_linear_bwd_weight(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db, int rows,
                           int in, int out) {
  return run(ctx, "linear_bwd_weight", [&] {
    REQUIRE_PTRS(x && dy && dw);
    VQ4J_REQUIRE(ctx, rows > 0 && in > 0 && out > 0, "sizes must be positive: rows=%d in=%d out=%d", rows, in,
                 out);
    REQUIRE_EXTENT("x", rows, in);
    REQUIRE_EXTENT("dy", rows, out);
    REQUIRE_EXTENT("dw", out, in);
    VQ4J_TRY(check_no_alias(ctx, {span("dw", dw, {out, in}), span("db", db, {out})},
                            {span("x", x, {rows, in}), span("dy", dy, {rows, out})}));
    return ON_BACKEND(linear_bwd_weight, x, dy, dw, db, rows, in, out);
  });
}

int vq4j_causal_attention_fwd(vq4j_ctx* ctx, const float* q, const float* k, const float* v, float* y,
                              float* lse, int batch, int tq, int tk, int kv_rows, int heads, int dh) {
  return run(ctx, "causal_attention_fwd", [&] {
    REQUIRE_PTRS(q && k && v && y && lse);
    VQ4J_REQUIRE(ctx, batch > 0 && tq > 0 && heads > 0 && dh > 0,
                 "sizes must be positive: batch=%d tq=%d heads=%d dh=%d", batch, tq, heads, dh);
    VQ4J_REQUIRE(ctx, tq <= tk && tk <= kv_rows, "need tq <= tk <= kv_rows, got tq=%d tk=%d kv_rows=%d", tq, tk,
                 kv_rows);
    REQUIRE_EXTENT("k", batch, kv_rows, heads, dh);
    REQUIRE_EXTENT("q", batch, tq, heads, dh);
    const long long c = static_cast<long long>(heads) * dh;
    VQ4J_TRY(check_no_alias(ctx, {span("y", y, {batch, tq, c}), span("lse", lse, {batch, heads, tq})},
                            {span("q", q, {batch, tq, c}), span("k", k, {batch, kv_rows, c}),
                             span("v", v, {batch, kv_rows, c})}));
    return ON_BACKEND(causal_attention_fwd, q, k, v, y, lse, batch, tq, tk, kv_rows, heads, dh);
  });
}

int vq4j_causal_attention_bwd(vq4j_ctx* ctx, const float* q, const float* k, const float* v, const float* y,
                              const float* lse, const float* dy, float* dq, float* dk, float* dv, int batch,
                              int t, int heads, int dh) {
  return run(ctx, "causal_attention_bwd", [&] {
    REQUIRE_PTRS(q && k && v && y && lse && dy && dq && dk && dv);
    VQ4J_REQUIRE(ctx, batch > 0 && t > 0 && heads > 0 && dh > 0,
                 "sizes must be positive: batch=%d t=%d heads=%d dh=%d", batch, t, heads, dh);
    REQUIRE_EXTENT("q", batch, t, heads, dh);
    const long long c = static_cast<long long>(heads) * dh;
    VQ4J_TRY(check_no_alias(
        ctx, {span("dq", dq, {batch, t, c}), span("dk", dk, {batch, t, c}), span("dv", dv, {batch, t, c})},
        {span("q", q, {batch, t, c}), span("k", k, {batch, t, c}), span("v", v, {batch, t, c}),
         span("y", y, {batch, t, c}), span("lse", lse, {batch, heads, t}), span("dy", dy, {batch, t, c})}));
    return ON_BACKEND(causal_attention_bwd, q, k, v, y, lse, dy, dq, dk, dv, batch, t, heads, dh);
  });
}

int vq4j_dropout(vq4j_ctx* ctx, const float* x, float* y, long long count, float p, unsigned long long key) {
  return run(ctx, "dropout", [&] {
    REQUIRE_PTRS(x && y);
    VQ4J_REQUIRE(ctx, count >= 0, "negative count %lld", count);
    VQ4J_REQUIRE(ctx, p >= 0.0f && p < 1.0f, "p must be in [0, 1), got %g", p);
    return ON_BACKEND(dropout, x, y, count, p, key);
  });
}

}  // extern "C"
