// The implicit-GEMM engine behind every CUDA conv kernel (conv2d, conv_transpose2d, masked_conv2d).
//
// Every op is phrased in conv2d's roles: an input X[n, h, w, cx] and an output Y[n, oh, ow, cy] joined by
// a weight W[cy, kh, kw, cx], oh = (h + 2 pad - kh) / stride + 1. Three shared-memory tiled GEMMs do all
// the work:
//   fprop  Y[m, k]  = b[k] + sum_r A[m, r] W[k, r]     m = (img, oy, ox), r = (tap, c)   (im2col gathered)
//   dgrad  dX[m, c] = b[c] + sum_r dY[.., k] W[k, t, c]  m = (img, y, x),  r = (tap, k)   (col2im gathered)
//   wgrad  dW[k, r] = sum_m dY[m, k] A[m, r]                                           (split over m)
// conv_transpose2d is conv2d's adjoint with the same weight layout ([ci, kh, kw, co] = [cy, kh, kw, cx]
// of the conv whose X is the transposed conv's output), so it reuses these kernels with the roles of the
// tensors swapped (conv_transpose2d_geom). masked_conv2d's kept taps are one raster-order range
// [t0, t1) of t = i * kw + j for every mask, so its GEMMs simply run over the reduced K = (t1 - t0) * cx
// and never touch a masked tap.
//
// Tiling (all three GEMMs): a 64 x 64 output tile per block of 256 threads, K staged 16 at a time in
// shared memory, each thread a 4 x 4 register tile at rows ty + 16 i and columns tx + 16 j (a stride
// that keeps shared reads conflict-free); the next K slice is fetched into registers while the current
// one is multiplied. Every global load and store is bounds-checked, and each output element is summed by
// one thread in a fixed order, so results are deterministic; wgrad's split-K partials and the bias
// gradient's row-block partials are reduced in a fixed order by a second kernel.
//
// The per-thread work lives in the structs below as __host__ __device__ code, so that
// tests/emu/conv_gemm_test.cpp can run exactly this code on the CPU (a block's threads one after another,
// phase by phase between the barriers) against the CPU reference: the index math is tested on machines
// without a GPU. The kernels and their launchers are in conv_gemm.cu.
#ifndef VQ4J_KERNELS_COMMON_CONV_GEMM_CUH
#define VQ4J_KERNELS_COMMON_CONV_GEMM_CUH

#include <math.h>
#include <stddef.h>

#include "context.h"

#if defined(__CUDACC__)
#define VQ4J_HD __host__ __device__ __forceinline__
#define VQ4J_UNROLL _Pragma("unroll")
#else
#define VQ4J_HD inline
#define VQ4J_UNROLL
#endif

namespace vq4j {

// One convolution in conv2d's roles (see above). Taps t = i * kw + j in [t0, t1) take part.
struct ConvGeom {
  int n, h, w, cx;   // X[n, h, w, cx]
  int oh, ow, cy;    // Y[n, oh, ow, cy]
  int kh, kw, stride, pad;
  int t0, t1;
};

// conv2d: x[n, h, wd, ci] -> y[n, oh, ow, co], w[co, kh, kw, ci]; every tap.
inline ConvGeom conv2d_geom(int n, int h, int wd, int ci, int co, int kh, int kw, int stride, int pad) {
  ConvGeom g;
  g.n = n;
  g.h = h;
  g.w = wd;
  g.cx = ci;
  g.oh = (h + 2 * pad - kh) / stride + 1;
  g.ow = (wd + 2 * pad - kw) / stride + 1;
  g.cy = co;
  g.kh = kh;
  g.kw = kw;
  g.stride = stride;
  g.pad = pad;
  g.t0 = 0;
  g.t1 = kh * kw;
  return g;
}

// conv_transpose2d x[n, h, wd, ci] -> y[n, oh, ow, co] with w[ci, kh, kw, co], oh = (h - 1) s - 2p + kh:
// the conv2d it is the adjoint of maps y (as X, cx = co) to x (as Y, cy = ci) through the same w.
inline ConvGeom conv_transpose2d_geom(int n, int h, int wd, int ci, int co, int kh, int kw, int stride,
                                      int pad) {
  const int oh = (h - 1) * stride - 2 * pad + kh;
  const int ow = (wd - 1) * stride - 2 * pad + kw;
  ConvGeom g = conv2d_geom(n, oh, ow, co, ci, kh, kw, stride, pad);
  // (oh + 2p - kh) / s + 1 = h exactly; set it anyway so the roles read plainly.
  g.oh = h;
  g.ow = wd;
  return g;
}

// [t0, t1): the taps keep(t) accepts, when they form one range of t in [0, kk). False when they do not;
// an empty set is the range [0, 0).
template <class Keep>
inline bool contiguous_taps(int kk, Keep keep, int* t0, int* t1) {
  int first = -1, last = -1;
  for (int t = 0; t < kk; ++t) {
    if (!keep(t)) continue;
    if (first < 0) first = t;
    last = t;
  }
  if (first < 0) {
    *t0 = *t1 = 0;
    return true;
  }
  for (int t = first; t <= last; ++t)
    if (!keep(t)) return false;
  *t0 = first;
  *t1 = last + 1;
  return true;
}

namespace cg {

constexpr int kBM = 64;                    // tile rows (GEMM M)
constexpr int kBN = 64;                    // tile columns (GEMM N)
constexpr int kBK = 16;                    // K staged per step
constexpr int kTM = 4;                     // rows per thread
constexpr int kTN = 4;                     // columns per thread
constexpr int kTX = kBN / kTN;             // 16 threads across the columns
constexpr int kTY = kBM / kTM;             // 16 threads across the rows
constexpr int kThreads = kTX * kTY;        // 256
constexpr int kLoads = kBM * kBK / kThreads;  // elements of each operand a thread stages per step: 4
// Two staging patterns. "K-fastest": a thread owns K index tid % kBK and rows tid / kBK + kKStep q
// (16 consecutive threads read 16 consecutive K, i.e. consecutive channels of NHWC: coalesced).
// "Row-fastest": a thread owns row tid % kBM and K indices tid / kBM + kRStep q.
constexpr int kKStep = kThreads / kBK;     // 16
constexpr int kRStep = kThreads / kBM;     // 4
// Row stride of the staged tiles: 66 = 2 (mod 32) makes the K-fastest transposed stores conflict-free
// (bank 2 * k + row covers 32 banks for k < 16, row < 2) and leaves the row-fastest ones so.
constexpr int kPad = 2;

static_assert(kBM == kBN, "the staging patterns assume square tiles");
static_assert(kThreads % kBK == 0 && kKStep * kLoads == kBM, "K-fastest staging covers the tile");
static_assert(kThreads % kBM == 0 && kRStep * kLoads == kBK, "row-fastest staging covers the tile");

// The staged operands: a[k][row] (GEMM rows), b[k][col] (GEMM columns).
struct Smem {
  float a[kBK][kBM + kPad];
  float b[kBK][kBN + kPad];
};

// A thread's 4 x 4 register tile: rows ty + kTY i, columns tx + kTX j of the block's tile.
struct Acc {
  float v[kTM][kTN];

  VQ4J_HD void zero() {
    VQ4J_UNROLL
    for (int i = 0; i < kTM; ++i) {
      VQ4J_UNROLL
      for (int j = 0; j < kTN; ++j) v[i][j] = 0.0f;
    }
  }

  // v += a[:, rows] * b[:, cols] over the staged K slice, in ascending K.
  VQ4J_HD void mma(const Smem& s, int tx, int ty) {
    VQ4J_UNROLL
    for (int k = 0; k < kBK; ++k) {
      float a[kTM], b[kTN];
      VQ4J_UNROLL
      for (int i = 0; i < kTM; ++i) a[i] = s.a[k][ty + kTY * i];
      VQ4J_UNROLL
      for (int j = 0; j < kTN; ++j) b[j] = s.b[k][tx + kTX * j];
      VQ4J_UNROLL
      for (int i = 0; i < kTM; ++i) {
        VQ4J_UNROLL
        for (int j = 0; j < kTN; ++j) v[i][j] = fmaf(a[i], b[j], v[i][j]);
      }
    }
  }
};

struct Grid {
  long long x, y, z;
};

inline long long ceil_div(long long a, long long b) { return (a + b - 1) / b; }

// ---------------------------------------------------------------------------------------------------
// fprop: Y[m, k] = bias[k] + sum_{r < R} A[m, r] W[k, t0 cx + r], M = n oh ow, R = (t1 - t0) cx,
// A[m, r] = X[img, oy s - p + i, ox s - p + j, c] (0 in the padding), t0 + r / cx = i kw + j, c = r % cx.
// Block (bx, by) owns rows m0 = 64 bx.. and channels n0 = 64 by.. .
struct Fprop {
  const float* x;
  const float* w;
  int m0, n0, tx, ty, M, kend;
  // A, K-fastest: K index a_k, rows a_row0 + kKStep q; per row the offset of its image in x (-1 past M;
  // an int, as the launcher keeps every tensor below 2^31 elements) and the input position of tap (0, 0).
  int a_k, a_row0;
  int a_img[kLoads];
  int a_iy[kLoads], a_ix[kLoads];
  // B (W rows are K-contiguous), K-fastest: K index b_k, columns b_col0 + kKStep q.
  int b_k, b_col0;
  float ra[kLoads], rb[kLoads];
  Acc acc;

  VQ4J_HD void init(const ConvGeom& g, const float* x_, const float* w_, int bx, int by, int tid) {
    x = x_;
    w = w_;
    m0 = bx * kBM;
    n0 = by * kBN;
    tx = tid % kTX;
    ty = tid / kTX;
    M = g.n * g.oh * g.ow;
    kend = (g.t1 - g.t0) * g.cx;
    a_k = tid % kBK;
    a_row0 = tid / kBK;
    const int plane = g.oh * g.ow;
    VQ4J_UNROLL
    for (int q = 0; q < kLoads; ++q) {
      const int m = m0 + a_row0 + kKStep * q;
      if (m < M) {
        const int img = m / plane;
        const int rem = m - img * plane;
        const int oy = rem / g.ow;
        const int ox = rem - oy * g.ow;
        a_img[q] = img * g.h * g.w * g.cx;
        a_iy[q] = oy * g.stride - g.pad;
        a_ix[q] = ox * g.stride - g.pad;
      } else {
        a_img[q] = -1;
        a_iy[q] = 0;
        a_ix[q] = 0;
      }
    }
    b_k = tid % kBK;
    b_col0 = tid / kBK;
    acc.zero();
  }

  // Registers <- the K slice [k0, k0 + kBK), 0 outside the problem.
  VQ4J_HD void fetch(const ConvGeom& g, int k0) {
    const int r = k0 + a_k;
    if (r < kend) {
      const int tq = r / g.cx;
      const int c = r - tq * g.cx;
      const int t = g.t0 + tq;
      const int i = t / g.kw;
      const int j = t - i * g.kw;
      VQ4J_UNROLL
      for (int q = 0; q < kLoads; ++q) {
        const int iy = a_iy[q] + i;
        const int ix = a_ix[q] + j;
        const bool in = a_img[q] >= 0 && iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
        ra[q] = in ? x[static_cast<size_t>(a_img[q]) + (static_cast<size_t>(iy) * g.w + ix) * g.cx + c] : 0.0f;
      }
    } else {
      VQ4J_UNROLL
      for (int q = 0; q < kLoads; ++q) ra[q] = 0.0f;
    }
    const int rb_k = k0 + b_k;
    const size_t ldw = static_cast<size_t>(g.kh) * g.kw * g.cx;
    VQ4J_UNROLL
    for (int q = 0; q < kLoads; ++q) {
      const int col = n0 + b_col0 + kKStep * q;
      rb[q] = (rb_k < kend && col < g.cy)
                  ? w[static_cast<size_t>(col) * ldw + static_cast<size_t>(g.t0) * g.cx + rb_k]
                  : 0.0f;
    }
  }

  // Stage: any layout with a[kBK][>= kBM] and b[kBK][>= kBN] (Smem, or the TF32 kernel's SmemTf32).
  template <class Staging>
  VQ4J_HD void stash(Staging& s) const {
    VQ4J_UNROLL
    for (int q = 0; q < kLoads; ++q) {
      s.a[a_k][a_row0 + kKStep * q] = ra[q];
      s.b[b_k][b_col0 + kKStep * q] = rb[q];
    }
  }

  // y[m, col] = acc + bias[col]; bias may be NULL.
  VQ4J_HD void store(const ConvGeom& g, const float* bias, float* y) const {
    VQ4J_UNROLL
    for (int i = 0; i < kTM; ++i) {
      const int m = m0 + ty + kTY * i;
      if (m >= M) continue;
      VQ4J_UNROLL
      for (int j = 0; j < kTN; ++j) {
        const int col = n0 + tx + kTX * j;
        if (col < g.cy)
          y[static_cast<size_t>(m) * g.cy + col] = acc.v[i][j] + (bias != nullptr ? bias[col] : 0.0f);
      }
    }
  }
};

inline Grid fprop_grid(const ConvGeom& g) {
  return Grid{ceil_div(static_cast<long long>(g.n) * g.oh * g.ow, kBM), ceil_div(g.cy, kBN), 1};
}

// ---------------------------------------------------------------------------------------------------
// dgrad: dX[img, y, x, c] = bias[c] + sum over taps (i, j) and k of dY[img, oy, ox, k] W[k, i, j, c]
// where y = oy s - p + i and x = ox s - p + j. With stride s only the taps with i = (y + p) mod s and
// j = (x + p) mod s (mod s) can reach (y, x), so the grid's z runs over the s * s phases
// (ph, pw) = ((y + p) mod s, (x + p) mod s): a phase's pixels are y = h0 + s yy, x = w0 + s xx, its
// taps i = ph + s qi, j = pw + s qj, and then oy = eh + yy - qi, ox = ew + xx - qj exactly (no division
// test, no multiply by zero). With stride 1 there is one phase and its taps are the range [t0, t1).
// Reduction r = tap index q - q0 (slow) and k (fast); rows m = (img, yy, xx) of the phase.
struct DgradPhase {
  int ph, pw;       // tap residues
  int h0, w0;       // first pixel of the phase
  int hp, wp;       // pixels of the phase per column / row
  int eh, ew;       // oy = eh + yy - qi, ox = ew + xx - qj
  int ntj;          // taps per tap row in the phase: j = pw + s qj, qj < ntj
  int q0, q1;       // tap indices q = qi ntj + qj in [q0, q1)
};

VQ4J_HD DgradPhase dgrad_phase(const ConvGeom& g, int z) {
  const int s = g.stride;
  DgradPhase p;
  p.ph = z / s;
  p.pw = z - p.ph * s;
  p.h0 = ((p.ph - g.pad) % s + s) % s;  // the least y >= 0 with (y + pad) % s == ph
  p.w0 = ((p.pw - g.pad) % s + s) % s;
  p.hp = p.h0 < g.h ? (g.h - p.h0 + s - 1) / s : 0;
  p.wp = p.w0 < g.w ? (g.w - p.w0 + s - 1) / s : 0;
  p.eh = (p.h0 + g.pad - p.ph) / s;  // exact: h0 + pad = ph (mod s), and h0 + pad - ph > -s
  p.ew = (p.w0 + g.pad - p.pw) / s;
  const int nti = p.ph < g.kh ? (g.kh - p.ph + s - 1) / s : 0;
  p.ntj = p.pw < g.kw ? (g.kw - p.pw + s - 1) / s : 0;
  if (s == 1) {  // one phase: nti = kh, ntj = kw, q = t
    p.q0 = g.t0;
    p.q1 = g.t1;
  } else {       // the launcher allows strides > 1 only with every tap
    p.q0 = 0;
    p.q1 = nti * p.ntj;
  }
  return p;
}

struct Dgrad {
  const float* dy;
  const float* w;
  DgradPhase p;
  int m0, n0, tx, ty, M, kend;
  // A (dY), K-fastest: K index a_k, rows a_row0 + kKStep q; per row the offset of its image in dy (-1
  // past M) and (eh + yy, ew + xx).
  int a_k, a_row0;
  int a_img[kLoads];
  int a_oy[kLoads], a_ox[kLoads];
  // B (W, contiguous in c), row-fastest: column b_col, K indices b_k0 + kRStep q.
  int b_col, b_k0;
  float ra[kLoads], rb[kLoads];
  Acc acc;

  // False when the block's rows all lie past its phase's pixels (the same for every thread of a block).
  VQ4J_HD bool init(const ConvGeom& g, const float* dy_, const float* w_, int bx, int by, int bz,
                    int tid) {
    dy = dy_;
    w = w_;
    p = dgrad_phase(g, bz);
    m0 = bx * kBM;
    n0 = by * kBN;
    tx = tid % kTX;
    ty = tid / kTX;
    const int plane = p.hp * p.wp;
    M = g.n * plane;
    kend = (p.q1 - p.q0) * g.cy;
    a_k = tid % kBK;
    a_row0 = tid / kBK;
    VQ4J_UNROLL
    for (int q = 0; q < kLoads; ++q) {
      const int m = m0 + a_row0 + kKStep * q;
      if (m < M) {
        const int img = m / plane;
        const int rem = m - img * plane;
        const int yy = rem / p.wp;
        const int xx = rem - yy * p.wp;
        a_img[q] = img * g.oh * g.ow * g.cy;
        a_oy[q] = p.eh + yy;
        a_ox[q] = p.ew + xx;
      } else {
        a_img[q] = -1;
        a_oy[q] = 0;
        a_ox[q] = 0;
      }
    }
    b_col = tid % kBN;
    b_k0 = tid / kBN;
    acc.zero();
    return m0 < M;
  }

  // Tap index q (relative to the phase) -> (qi, qj).
  VQ4J_HD void tap(int q, int* qi, int* qj) const {
    *qi = q / p.ntj;
    *qj = q - *qi * p.ntj;
  }

  VQ4J_HD void fetch(const ConvGeom& g, int k0) {
    const int r = k0 + a_k;
    if (r < kend) {
      const int rq = r / g.cy;
      const int k = r - rq * g.cy;
      int qi, qj;
      tap(p.q0 + rq, &qi, &qj);
      VQ4J_UNROLL
      for (int q = 0; q < kLoads; ++q) {
        const int oy = a_oy[q] - qi;
        const int ox = a_ox[q] - qj;
        const bool in = a_img[q] >= 0 && oy >= 0 && oy < g.oh && ox >= 0 && ox < g.ow;
        ra[q] = in ? dy[static_cast<size_t>(a_img[q]) + (static_cast<size_t>(oy) * g.ow + ox) * g.cy + k] : 0.0f;
      }
    } else {
      VQ4J_UNROLL
      for (int q = 0; q < kLoads; ++q) ra[q] = 0.0f;
    }
    const int c = n0 + b_col;
    const int kk = g.kh * g.kw;
    VQ4J_UNROLL
    for (int q = 0; q < kLoads; ++q) {
      const int rr = k0 + b_k0 + kRStep * q;
      float v = 0.0f;
      if (rr < kend && c < g.cx) {
        const int rq = rr / g.cy;
        const int k = rr - rq * g.cy;
        int qi, qj;
        tap(p.q0 + rq, &qi, &qj);
        const int t = (p.ph + g.stride * qi) * g.kw + (p.pw + g.stride * qj);
        v = w[(static_cast<size_t>(k) * kk + t) * g.cx + c];
      }
      rb[q] = v;
    }
  }

  VQ4J_HD void stash(Smem& s) const {
    VQ4J_UNROLL
    for (int q = 0; q < kLoads; ++q) {
      s.a[a_k][a_row0 + kKStep * q] = ra[q];
      s.b[b_k0 + kRStep * q][b_col] = rb[q];
    }
  }

  // dx[img, h0 + s yy, w0 + s xx, c] = acc + bias[c]; bias may be NULL.
  VQ4J_HD void store(const ConvGeom& g, const float* bias, float* dx) const {
    const int plane = p.hp * p.wp;
    VQ4J_UNROLL
    for (int i = 0; i < kTM; ++i) {
      const int m = m0 + ty + kTY * i;
      if (m >= M) continue;
      const int img = m / plane;
      const int rem = m - img * plane;
      const int yy = rem / p.wp;
      const int xx = rem - yy * p.wp;
      const int y = p.h0 + g.stride * yy;
      const int x = p.w0 + g.stride * xx;
      const size_t pixel = (static_cast<size_t>(img) * g.h + y) * g.w + x;
      VQ4J_UNROLL
      for (int j = 0; j < kTN; ++j) {
        const int c = n0 + tx + kTX * j;
        if (c < g.cx) dx[pixel * g.cx + c] = acc.v[i][j] + (bias != nullptr ? bias[c] : 0.0f);
      }
    }
  }
};

// x covers the largest phase: every phase has at most ceil(h / s) x ceil(w / s) pixels per image.
inline Grid dgrad_grid(const ConvGeom& g) {
  const long long rows = static_cast<long long>(g.n) * ceil_div(g.h, g.stride) * ceil_div(g.w, g.stride);
  return Grid{ceil_div(rows, kBM), ceil_div(g.cx, kBN), static_cast<long long>(g.stride) * g.stride};
}

// ---------------------------------------------------------------------------------------------------
// wgrad: part[z][k, r] = sum over m in split z's range [kbeg, kend) of dY[m, k] A[m, r], with A the
// im2col matrix of fprop (r < R = (t1 - t0) cx). GEMM rows are the output channels k (block by: 64 by..),
// columns the reduction index r of the weight (block bx: 64 bx..), K the output pixels m.
struct Wgrad {
  const float* x;
  const float* dy;
  int m0, n0, tx, ty, R, kend;
  // A (dY, contiguous in k), row-fastest: channel a_col, pixels a_k0 + kRStep q.
  int a_col, a_k0;
  // B (im2col of X), row-fastest: column b_col (fixed, so its tap and channel are decoded once),
  // pixels b_k0 + kRStep q.
  int b_col, b_k0;
  bool b_ok;
  int b_i, b_j, b_c;
  float ra[kLoads], rb[kLoads];
  Acc acc;

  VQ4J_HD void init(const ConvGeom& g, const float* x_, const float* dy_, int bx, int by, int tid,
                    int kend_) {
    x = x_;
    dy = dy_;
    n0 = bx * kBN;
    m0 = by * kBM;
    tx = tid % kTX;
    ty = tid / kTX;
    R = (g.t1 - g.t0) * g.cx;
    kend = kend_;
    a_col = tid % kBM;
    a_k0 = tid / kBM;
    b_col = tid % kBN;
    b_k0 = tid / kBN;
    const int r = n0 + b_col;
    b_ok = r < R;
    const int tq = b_ok ? r / g.cx : 0;
    b_c = b_ok ? r - tq * g.cx : 0;
    const int t = g.t0 + tq;
    b_i = t / g.kw;
    b_j = t - b_i * g.kw;
    acc.zero();
  }

  VQ4J_HD void fetch(const ConvGeom& g, int k0) {
    const int k = m0 + a_col;
    const int plane = g.oh * g.ow;
    VQ4J_UNROLL
    for (int q = 0; q < kLoads; ++q) {
      const int m = k0 + a_k0 + kRStep * q;
      ra[q] = (m < kend && k < g.cy) ? dy[static_cast<size_t>(m) * g.cy + k] : 0.0f;
      const int mb = k0 + b_k0 + kRStep * q;
      float v = 0.0f;
      if (mb < kend && b_ok) {
        const int img = mb / plane;
        const int rem = mb - img * plane;
        const int oy = rem / g.ow;
        const int ox = rem - oy * g.ow;
        const int iy = oy * g.stride - g.pad + b_i;
        const int ix = ox * g.stride - g.pad + b_j;
        if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w)
          v = x[((static_cast<size_t>(img) * g.h + iy) * g.w + ix) * g.cx + b_c];
      }
      rb[q] = v;
    }
  }

  VQ4J_HD void stash(Smem& s) const {
    VQ4J_UNROLL
    for (int q = 0; q < kLoads; ++q) {
      s.a[a_k0 + kRStep * q][a_col] = ra[q];
      s.b[b_k0 + kRStep * q][b_col] = rb[q];
    }
  }

  // part[z][k, r], a [splits, cy, R] workspace.
  VQ4J_HD void store(const ConvGeom& g, float* part, int z) const {
    VQ4J_UNROLL
    for (int i = 0; i < kTM; ++i) {
      const int k = m0 + ty + kTY * i;
      if (k >= g.cy) continue;
      VQ4J_UNROLL
      for (int j = 0; j < kTN; ++j) {
        const int r = n0 + tx + kTX * j;
        if (r < R) part[(static_cast<size_t>(z) * g.cy + k) * R + r] = acc.v[i][j];
      }
    }
  }
};

// How wgrad splits its reduction over the n oh ow output pixels: a function of the shape alone, so the
// summation order (and so every bit of the result) is the same on every GPU. About 512 blocks in all,
// at least 256 pixels per split, at most 256 splits.
struct WgradPlan {
  int splits;  // split z sums pixels [z chunk, min(M, (z + 1) chunk))
  int chunk;   // a multiple of kBK
};

inline WgradPlan wgrad_plan(const ConvGeom& g) {
  const long long M = static_cast<long long>(g.n) * g.oh * g.ow;
  const long long R = static_cast<long long>(g.t1 - g.t0) * g.cx;
  const long long tiles = ceil_div(R, kBN) * ceil_div(g.cy, kBM);
  long long splits = tiles > 0 ? 512 / tiles : 1;
  const long long by_length = ceil_div(M, 256);
  if (splits > by_length) splits = by_length;
  if (splits > 256) splits = 256;
  if (splits < 1) splits = 1;
  const long long chunk = ceil_div(ceil_div(M, splits), kBK) * kBK;
  WgradPlan plan;
  plan.chunk = static_cast<int>(chunk);
  plan.splits = static_cast<int>(ceil_div(M, chunk));  // every split non-empty
  return plan;
}

inline Grid wgrad_grid(const ConvGeom& g, const WgradPlan& plan) {
  return Grid{ceil_div(static_cast<long long>(g.t1 - g.t0) * g.cx, kBN), ceil_div(g.cy, kBM), plan.splits};
}

// dw[idx] of dw[cy, kh, kw, cx]: the splits' partials summed in split order at a kept tap, 0 elsewhere.
VQ4J_HD float wgrad_finalize(const ConvGeom& g, const float* part, int splits, long long idx) {
  const long long row = static_cast<long long>(g.kh) * g.kw * g.cx;
  const int k = static_cast<int>(idx / row);
  const int rem = static_cast<int>(idx - k * row);
  const int t = rem / g.cx;
  if (t < g.t0 || t >= g.t1) return 0.0f;
  const int R = (g.t1 - g.t0) * g.cx;
  const int r = rem - g.t0 * g.cx;
  float sum = 0.0f;
  for (int z = 0; z < splits; ++z) sum += part[(static_cast<size_t>(z) * g.cy + k) * R + r];
  return sum;
}

// ---------------------------------------------------------------------------------------------------
// Column sums (the bias gradient): out[c] = sum over rows of a[rows, cols]. A block of 32 x 8 threads
// owns 32 columns and one chunk of rows: thread (lane, wy) sums rows wy, wy + 8, .. of the chunk in
// order, then lane's 8 partials are added in wy order. Chunks are reduced in chunk order by
// colsum_finalize when there is more than one.
constexpr int kSumLanes = 32;
constexpr int kSumRows = kThreads / kSumLanes;  // 8

struct ColsumPlan {
  int splits;
  int chunk;
};

inline ColsumPlan colsum_plan(long long rows) {
  long long splits = ceil_div(rows, 2048);
  if (splits > 1024) splits = 1024;
  if (splits < 1) splits = 1;
  const long long chunk = ceil_div(rows, splits);
  ColsumPlan plan;
  plan.chunk = static_cast<int>(chunk);
  plan.splits = static_cast<int>(ceil_div(rows, chunk));
  return plan;
}

inline Grid colsum_grid(int cols, const ColsumPlan& plan) {
  return Grid{ceil_div(cols, kSumLanes), plan.splits, 1};
}

// Thread (lane, wy) of block (bx, by): its partial sum of column 32 bx + lane.
VQ4J_HD float colsum_partial(const float* a, int rows, int cols, int chunk, int bx, int by, int lane,
                             int wy) {
  const int col = bx * kSumLanes + lane;
  if (col >= cols) return 0.0f;
  const int rbeg = by * chunk;
  const int rend = rows - rbeg < chunk ? rows : rbeg + chunk;
  float s = 0.0f;
  for (int r = rbeg + wy; r < rend; r += kSumRows) s += a[static_cast<size_t>(r) * cols + col];
  return s;
}

// The block's sum of column 32 bx + lane from its threads' partials part[wy][lane], in wy order.
VQ4J_HD float colsum_combine(const float (*part)[kSumLanes], int lane) {
  float s = 0.0f;
  for (int wy = 0; wy < kSumRows; ++wy) s += part[wy][lane];
  return s;
}

// out[c] = sum over chunks z of part[z][c], in chunk order.
VQ4J_HD float colsum_finalize(const float* part, int splits, int cols, int c) {
  float s = 0.0f;
  for (int z = 0; z < splits; ++z) s += part[static_cast<size_t>(z) * cols + c];
  return s;
}

}  // namespace cg

// ---------------------------------------------------------------------------------------------------
// Launchers (conv_gemm.cu): device pointers, the context's stream, workspaces from vq4j::scratch.
// y[n, oh, ow, cy] = conv(x, w) + b (b over cy, may be NULL). FP32, or TF32 tensor cores when the
// environment variable VQ4J_CONV_TF32=1 (read once per process) and the GPU is sm_80 or newer; this
// covers conv2d and masked_conv2d forward and conv_transpose2d's data gradient.
int conv_fprop_cuda(vq4j_ctx* ctx, const ConvGeom& g, const float* x, const float* w, const float* b,
                    float* y);
// dx[n, h, w, cx] = the adjoint conv of dy, + b (b over cx, may be NULL: conv_transpose2d's bias).
int conv_dgrad_cuda(vq4j_ctx* ctx, const ConvGeom& g, const float* dy, const float* w, const float* b,
                    float* dx);
// Which tensor the bias gradient sums: dY (conv2d, masked_conv2d) or X (conv_transpose2d, whose dy
// plays X).
enum class BiasOf { kDy, kX };
// dw[cy, kh, kw, cx] (0 outside the kept taps) from x and dy; db (may be NULL) the column sum of the
// tensor bias_of names.
int conv_wgrad_cuda(vq4j_ctx* ctx, const ConvGeom& g, const float* x, const float* dy, float* dw,
                    float* db, BiasOf bias_of);

}  // namespace vq4j

#endif
