// CUDA causal attention, fused the online-softmax way (FlashAttention's recurrence): one warp per query
// row, the lanes holding the row's head dimensions (d = lane + 32 r). For each visible key j the warp forms
// the score by a butterfly sum, and updates the running maximum m, the running normaliser l and the
// output accumulator, rescaled by exp(m_old - m_new):
//   m' = max(m, s_j);  l' = l e^(m - m') + e^(s_j - m');  acc' = acc e^(m - m') + e^(s_j - m') v_j.
// No score matrix is written: memory is O(t) per head (lse), never t x t. Keys after the query's position
// are never read, so masked weights are exactly 0.
// The backward recomputes the probabilities from lse: one warp per query row for dq, one warp per key row
// for dk and dv (each sums over the queries that see it), D_i = dy_i . y_i in a first pass. No atomics:
// deterministic. Sums run in another order than the CPU's double ones, so results agree to float rounding.
#include <math.h>

#include "causal_attention.h"
#include "cuda_check.cuh"
#include "cuda_launch.cuh"
#include "cuda_warp.cuh"

namespace vq4j {
namespace {

// Head dimensions per lane: dh up to kMaxR * 32.
constexpr int kMaxR = 4;
constexpr int kWarpsPerBlock = kBlockThreads / kWarp;

struct Shape {
  int batch, tq, tk, kv_rows, heads, dh, c;
  float scale;
};

// Loads the lane's head dimensions of row[dh] into r[kMaxR] (0 past dh).
__device__ __forceinline__ void load(float (&r)[kMaxR], const float* row, int dh, int lane) {
#pragma unroll
  for (int i = 0; i < kMaxR; ++i) {
    const int d = lane + kWarp * i;
    r[i] = d < dh ? row[d] : 0.0f;
  }
}

__device__ __forceinline__ float warp_dot(const float (&a)[kMaxR], const float* row, int dh, int lane) {
  float s = 0.0f;
#pragma unroll
  for (int i = 0; i < kMaxR; ++i) {
    const int d = lane + kWarp * i;
    if (d < dh) s += a[i] * row[d];
  }
  return warp_sum(s);
}

// One warp per (b, h, i): q, k, v, y, lse as in causal_attention.h.
__global__ void attn_fwd_kernel(const float* __restrict__ q, const float* __restrict__ k,
                                const float* __restrict__ v, float* __restrict__ y, float* __restrict__ lse,
                                Shape g) {
  const long long row = static_cast<long long>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (row >= static_cast<long long>(g.batch) * g.heads * g.tq) return;
  const int i = static_cast<int>(row % g.tq);
  const int bh = static_cast<int>(row / g.tq);
  const int b = bh / g.heads, h = bh % g.heads;
  const int p = g.tk - g.tq + i;
  float qi[kMaxR], acc[kMaxR] = {0.0f, 0.0f, 0.0f, 0.0f};
  load(qi, q + (static_cast<size_t>(b) * g.tq + i) * g.c + h * g.dh, g.dh, lane);
  const float* kb = k + static_cast<size_t>(b) * g.kv_rows * g.c + h * g.dh;
  const float* vb = v + static_cast<size_t>(b) * g.kv_rows * g.c + h * g.dh;
  float m = -INFINITY, l = 0.0f;
  for (int j = 0; j <= p; ++j) {
    const float s = warp_dot(qi, kb + static_cast<size_t>(j) * g.c, g.dh, lane) * g.scale;
    const float m2 = fmaxf(m, s);
    const float corr = expf(m - m2);  // 0 on the first key (m = -inf)
    const float e = expf(s - m2);
    l = l * corr + e;
    const float* vj = vb + static_cast<size_t>(j) * g.c;
#pragma unroll
    for (int r = 0; r < kMaxR; ++r) {
      const int d = lane + kWarp * r;
      acc[r] = acc[r] * corr + (d < g.dh ? e * vj[d] : 0.0f);
    }
    m = m2;
  }
  float* yi = y + (static_cast<size_t>(b) * g.tq + i) * g.c + h * g.dh;
#pragma unroll
  for (int r = 0; r < kMaxR; ++r) {
    const int d = lane + kWarp * r;
    if (d < g.dh) yi[d] = acc[r] / l;
  }
  if (lane == 0) lse[row] = m + logf(l);
}

// D[b, h, i] = dy_i . y_i over the head's dimensions; one warp per row.
__global__ void attn_bwd_delta_kernel(const float* __restrict__ y, const float* __restrict__ dy,
                                      float* __restrict__ delta, Shape g) {
  const long long row = static_cast<long long>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (row >= static_cast<long long>(g.batch) * g.heads * g.tq) return;
  const int i = static_cast<int>(row % g.tq);
  const int bh = static_cast<int>(row / g.tq);
  const size_t off = (static_cast<size_t>(bh / g.heads) * g.tq + i) * g.c + (bh % g.heads) * g.dh;
  float a[kMaxR];
  load(a, dy + off, g.dh, lane);
  const float s = warp_dot(a, y + off, g.dh, lane);
  if (lane == 0) delta[row] = s;
}

// dq_i = scale sum_{j <= i} P_ij (dy_i . v_j - D_i) k_j; one warp per (b, h, i).
__global__ void attn_bwd_dq_kernel(const float* __restrict__ q, const float* __restrict__ k,
                                   const float* __restrict__ v, const float* __restrict__ lse,
                                   const float* __restrict__ delta, const float* __restrict__ dy,
                                   float* __restrict__ dq, Shape g) {
  const long long row = static_cast<long long>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (row >= static_cast<long long>(g.batch) * g.heads * g.tq) return;
  const int i = static_cast<int>(row % g.tq);
  const int bh = static_cast<int>(row / g.tq);
  const size_t base = static_cast<size_t>(bh / g.heads) * g.tq * g.c + (bh % g.heads) * g.dh;
  float qi[kMaxR], dyi[kMaxR], acc[kMaxR] = {0.0f, 0.0f, 0.0f, 0.0f};
  load(qi, q + base + static_cast<size_t>(i) * g.c, g.dh, lane);
  load(dyi, dy + base + static_cast<size_t>(i) * g.c, g.dh, lane);
  const float li = lse[row], di = delta[row];
  for (int j = 0; j <= i; ++j) {
    const float* kj = k + base + static_cast<size_t>(j) * g.c;
    const float pij = expf(warp_dot(qi, kj, g.dh, lane) * g.scale - li);
    const float ds = pij * (warp_dot(dyi, v + base + static_cast<size_t>(j) * g.c, g.dh, lane) - di);
#pragma unroll
    for (int r = 0; r < kMaxR; ++r) {
      const int d = lane + kWarp * r;
      if (d < g.dh) acc[r] += ds * kj[d];
    }
  }
  float* out = dq + base + static_cast<size_t>(i) * g.c;
#pragma unroll
  for (int r = 0; r < kMaxR; ++r) {
    const int d = lane + kWarp * r;
    if (d < g.dh) out[d] = acc[r] * g.scale;
  }
}

// dk_j = scale sum_{i >= j} dS_ij q_i and dv_j = sum_{i >= j} P_ij dy_i; one warp per (b, h, j).
__global__ void attn_bwd_dkv_kernel(const float* __restrict__ q, const float* __restrict__ k,
                                    const float* __restrict__ v, const float* __restrict__ lse,
                                    const float* __restrict__ delta, const float* __restrict__ dy,
                                    float* __restrict__ dk, float* __restrict__ dv, Shape g) {
  const long long row = static_cast<long long>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (row >= static_cast<long long>(g.batch) * g.heads * g.tq) return;
  const int j = static_cast<int>(row % g.tq);
  const int bh = static_cast<int>(row / g.tq);
  const size_t base = static_cast<size_t>(bh / g.heads) * g.tq * g.c + (bh % g.heads) * g.dh;
  float kj[kMaxR], vj[kMaxR], ak[kMaxR] = {0.0f, 0.0f, 0.0f, 0.0f}, av[kMaxR] = {0.0f, 0.0f, 0.0f, 0.0f};
  load(kj, k + base + static_cast<size_t>(j) * g.c, g.dh, lane);
  load(vj, v + base + static_cast<size_t>(j) * g.c, g.dh, lane);
  const long long lrow0 = static_cast<long long>(bh) * g.tq;
  for (int i = j; i < g.tq; ++i) {
    const float* qi = q + base + static_cast<size_t>(i) * g.c;
    const float* dyi = dy + base + static_cast<size_t>(i) * g.c;
    const float pij = expf(warp_dot(kj, qi, g.dh, lane) * g.scale - lse[lrow0 + i]);
    const float ds = pij * (warp_dot(vj, dyi, g.dh, lane) - delta[lrow0 + i]);
#pragma unroll
    for (int r = 0; r < kMaxR; ++r) {
      const int d = lane + kWarp * r;
      if (d < g.dh) {
        ak[r] += ds * qi[d];
        av[r] += pij * dyi[d];
      }
    }
  }
  float* ok = dk + base + static_cast<size_t>(j) * g.c;
  float* ov = dv + base + static_cast<size_t>(j) * g.c;
#pragma unroll
  for (int r = 0; r < kMaxR; ++r) {
    const int d = lane + kWarp * r;
    if (d < g.dh) {
      ok[d] = ak[r] * g.scale;
      ov[d] = av[r];
    }
  }
}

Shape shape_of(int batch, int tq, int tk, int kv_rows, int heads, int dh) {
  return Shape{batch, tq, tk, kv_rows, heads, dh, heads * dh, 1.0f / sqrtf(static_cast<float>(dh))};
}

int check_head_dim(vq4j_ctx* ctx, int dh) {
  if (dh > kMaxR * kWarp)
    return VQ4J_FAIL(ctx, VQ4J_ERR_UNSUPPORTED, "the CUDA kernel takes head dimensions up to %d, got %d",
                     kMaxR * kWarp, dh);
  return VQ4J_OK;
}

unsigned blocks_for(long long rows) { return static_cast<unsigned>((rows + kWarpsPerBlock - 1) / kWarpsPerBlock); }

}  // namespace

int causal_attention_fwd_cuda(vq4j_ctx* ctx, const float* q, const float* k, const float* v, float* y,
                              float* lse, int batch, int tq, int tk, int kv_rows, int heads, int dh) {
  VQ4J_TRY(check_head_dim(ctx, dh));
  const Shape g = shape_of(batch, tq, tk, kv_rows, heads, dh);
  attn_fwd_kernel<<<blocks_for(static_cast<long long>(batch) * heads * tq), kBlockThreads, 0,
                    stream_of(ctx)>>>(q, k, v, y, lse, g);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "attn_fwd_kernel");
  return VQ4J_OK;
}

int causal_attention_bwd_cuda(vq4j_ctx* ctx, const float* q, const float* k, const float* v, const float* y,
                              const float* lse, const float* dy, float* dq, float* dk, float* dv, int batch,
                              int t, int heads, int dh) {
  VQ4J_TRY(check_head_dim(ctx, dh));
  const Shape g = shape_of(batch, t, t, t, heads, dh);
  const long long rows = static_cast<long long>(batch) * heads * t;
  float* delta = static_cast<float*>(scratch(ctx, sizeof(float) * rows));
  if (delta == nullptr) return VQ4J_ERR_MEMORY;
  const cudaStream_t stream = stream_of(ctx);
  attn_bwd_delta_kernel<<<blocks_for(rows), kBlockThreads, 0, stream>>>(y, dy, delta, g);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "attn_bwd_delta_kernel");
  attn_bwd_dq_kernel<<<blocks_for(rows), kBlockThreads, 0, stream>>>(q, k, v, lse, delta, dy, dq, g);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "attn_bwd_dq_kernel");
  attn_bwd_dkv_kernel<<<blocks_for(rows), kBlockThreads, 0, stream>>>(q, k, v, lse, delta, dy, dk, dv, g);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "attn_bwd_dkv_kernel");
  return VQ4J_OK;
}

}  // namespace vq4j
