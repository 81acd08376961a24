// The CUDA kernels of the implicit-GEMM conv engine (conv_gemm.cuh) and their launchers: every conv op
// (conv2d, conv_transpose2d, masked_conv2d; forward, data and weight gradients, bias gradient) runs
// through the three GEMM kernels and two reductions below. FP32, with an opt-in TF32 tensor-core
// variant of the fprop kernel (fprop_tf32_kernel).
#include <climits>
#include <cstdlib>

#include <mma.h>

#include "conv_gemm.cuh"
#include "cuda_check.cuh"

namespace vq4j {
namespace {

using namespace cg;

// The K loop every GEMM shares: stage the slice fetched into registers, then fetch the next one while
// multiplying this one. kend is the same for every thread of a block, so the barriers are uniform.
// tests/emu/conv_gemm_test.cpp mirrors this loop on the CPU: keep the two in step.
template <class Thread>
__device__ __forceinline__ void mainloop(Thread& th, const ConvGeom& g, Smem& s, int kbeg) {
  if (kbeg >= th.kend) return;
  th.fetch(g, kbeg);
  for (int k0 = kbeg; k0 < th.kend; k0 += kBK) {
    th.stash(s);
    __syncthreads();
    if (k0 + kBK < th.kend) th.fetch(g, k0 + kBK);
    th.acc.mma(s, th.tx, th.ty);
    __syncthreads();  // before the next stash overwrites the slice
  }
}

__global__ void __launch_bounds__(kThreads, 2)
    fprop_kernel(const ConvGeom g, const float* __restrict__ x, const float* __restrict__ w,
                 const float* __restrict__ bias, float* __restrict__ y) {
  __shared__ Smem s;
  Fprop th;
  th.init(g, x, w, blockIdx.x, blockIdx.y, threadIdx.x);
  mainloop(th, g, s, 0);
  th.store(g, bias, y);
}

// ---- TF32 tensor-core fprop (opt-in: VQ4J_CONV_TF32=1, sm_80+) ----
// The same block tile, staging and K loop as fprop_kernel (Fprop's fetch/stash), multiplied with
// wmma m16n16k8 TF32 fragments instead of FP32 FMAs: each of the 8 warps owns a 32 x 16 part of the
// 64 x 64 tile (rows 32 (warp / 4) + {0, 16}, columns 16 (warp % 4)). Operands are rounded to TF32
// (10-bit mantissa, relative error <= 2^-11 each), products accumulate in FP32, so a K-term dot product
// of unit-size values is off by about 5e-4 sqrt(K), i.e. ~5e-4 of the output's RMS: CudaConvParityTest
// allows 5e-3 x max(1, RMS) absolute + 5e-3 relative under TF32. The staging row stride is 68 floats, a
// multiple of 4 as wmma requires, and every fragment pointer is 32-byte aligned (k offsets are 0 or 8
// rows of 272 bytes, m and n offsets multiples of 16 floats). The accumulators pass through shared
// memory so the bounds-checked epilogue can add the bias and write coalesced rows.
constexpr int kTf32Ld = kBM + 4;

struct __align__(32) SmemTf32 {
  float a[kBK][kTf32Ld];
  float b[kBK][kTf32Ld];
};

__global__ void __launch_bounds__(kThreads, 2)
    fprop_tf32_kernel(const ConvGeom g, const float* __restrict__ x, const float* __restrict__ w,
                      const float* __restrict__ bias, float* __restrict__ y) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  namespace wmma = nvcuda::wmma;
  __shared__ SmemTf32 s;
  __shared__ __align__(32) float out[kBM][kTf32Ld];
  Fprop th;
  th.init(g, x, w, blockIdx.x, blockIdx.y, threadIdx.x);
  const int warp = threadIdx.x / 32;
  const int wm = (warp / 4) * 32;
  const int wn = (warp % 4) * 16;
  wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[2];
  wmma::fill_fragment(acc[0], 0.0f);
  wmma::fill_fragment(acc[1], 0.0f);
  if (th.kend > 0) {  // the same for the whole block
    th.fetch(g, 0);
    for (int k0 = 0; k0 < th.kend; k0 += kBK) {
      th.stash(s);
      __syncthreads();
      if (k0 + kBK < th.kend) th.fetch(g, k0 + kBK);
#pragma unroll
      for (int kk = 0; kk < kBK; kk += 8) {
        // B[k, n] = s.b[k][n]: row-major; A[m, k] = s.a[k][m]: column-major.
        wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> bf;
        wmma::load_matrix_sync(bf, &s.b[kk][wn], kTf32Ld);
#pragma unroll
        for (int e = 0; e < bf.num_elements; ++e) bf.x[e] = wmma::__float_to_tf32(bf.x[e]);
#pragma unroll
        for (int i = 0; i < 2; ++i) {
          wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::col_major> af;
          wmma::load_matrix_sync(af, &s.a[kk][wm + 16 * i], kTf32Ld);
#pragma unroll
          for (int e = 0; e < af.num_elements; ++e) af.x[e] = wmma::__float_to_tf32(af.x[e]);
          wmma::mma_sync(acc[i], af, bf, acc[i]);
        }
      }
      __syncthreads();
    }
  }
  wmma::store_matrix_sync(&out[wm][wn], acc[0], kTf32Ld, wmma::mem_row_major);
  wmma::store_matrix_sync(&out[wm + 16][wn], acc[1], kTf32Ld, wmma::mem_row_major);
  __syncthreads();
  for (int e = threadIdx.x; e < kBM * kBN; e += kThreads) {
    const int row = e / kBN;
    const int col = e - row * kBN;
    const int m = th.m0 + row;
    const int n = th.n0 + col;
    if (m < th.M && n < g.cy)
      y[static_cast<size_t>(m) * g.cy + n] = out[row][col] + (bias != nullptr ? bias[n] : 0.0f);
  }
#endif
}

// Whether fprop runs on TF32 tensor cores: VQ4J_CONV_TF32=1 in the environment (read once) and a
// device of compute capability 8.0 or newer. Default: FP32.
bool fprop_uses_tf32(const vq4j_ctx* ctx) {
  static const bool requested = [] {
    const char* v = std::getenv("VQ4J_CONV_TF32");
    return v != nullptr && v[0] == '1' && v[1] == '\0';
  }();
  if (!requested) return false;
  int major = 0;
  if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, ctx->device) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return major >= 8;
}

__global__ void __launch_bounds__(kThreads, 2)
    dgrad_kernel(const ConvGeom g, const float* __restrict__ dy, const float* __restrict__ w,
                 const float* __restrict__ bias, float* __restrict__ dx) {
  __shared__ Smem s;
  Dgrad th;
  if (!th.init(g, dy, w, blockIdx.x, blockIdx.y, blockIdx.z, threadIdx.x)) return;  // whole block
  mainloop(th, g, s, 0);
  th.store(g, bias, dx);
}

__global__ void __launch_bounds__(kThreads, 2)
    wgrad_kernel(const ConvGeom g, const float* __restrict__ x, const float* __restrict__ dy,
                 float* __restrict__ part, int chunk) {
  __shared__ Smem s;
  const long long M = static_cast<long long>(g.n) * g.oh * g.ow;
  const int kbeg = blockIdx.z * chunk;
  const int kend = static_cast<int>(M - kbeg < chunk ? M : kbeg + chunk);
  Wgrad th;
  th.init(g, x, dy, blockIdx.x, blockIdx.y, threadIdx.x, kend);
  mainloop(th, g, s, kbeg);
  th.store(g, part, blockIdx.z);
}

__global__ void wgrad_finalize_kernel(const ConvGeom g, const float* __restrict__ part, int splits,
                                      float* __restrict__ dw, long long count) {
  for (long long idx = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; idx < count;
       idx += static_cast<long long>(gridDim.x) * blockDim.x)
    dw[idx] = wgrad_finalize(g, part, splits, idx);
}

// out[by * cols + c] = the sum of column c over row chunk by (out is db itself when there is one chunk).
__global__ void __launch_bounds__(kThreads)
    colsum_kernel(const float* __restrict__ a, int rows, int cols, int chunk, float* __restrict__ out) {
  __shared__ float part[kSumRows][kSumLanes];
  const int lane = threadIdx.x % kSumLanes;
  const int wy = threadIdx.x / kSumLanes;
  part[wy][lane] = colsum_partial(a, rows, cols, chunk, blockIdx.x, blockIdx.y, lane, wy);
  __syncthreads();
  const int col = blockIdx.x * kSumLanes + lane;
  if (wy == 0 && col < cols) out[static_cast<size_t>(blockIdx.y) * cols + col] = colsum_combine(part, lane);
}

__global__ void colsum_finalize_kernel(const float* __restrict__ part, int splits, int cols,
                                       float* __restrict__ out) {
  for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < cols; c += gridDim.x * blockDim.x)
    out[c] = colsum_finalize(part, splits, cols, c);
}

// Sizes the kernels index with int (every tensor below 2^31 elements) and launch limits.
int check_geom(vq4j_ctx* ctx, const ConvGeom& g) {
  const long long x = static_cast<long long>(g.n) * g.h * g.w * g.cx;
  const long long y = static_cast<long long>(g.n) * g.oh * g.ow * g.cy;
  const long long w = static_cast<long long>(g.cy) * g.kh * g.kw * g.cx;
  if (x >= INT_MAX || y >= INT_MAX || w >= INT_MAX)
    return VQ4J_FAIL(ctx, VQ4J_ERR_UNSUPPORTED,
                     "CUDA conv kernels index tensors with int: %lld, %lld and %lld elements (x, y, w) "
                     "exceed it",
                     x, y, w);
  if (ceil_div(g.cx, kBN) > 65535 || ceil_div(g.cy, kBM) > 65535)
    return VQ4J_FAIL(ctx, VQ4J_ERR_UNSUPPORTED, "too many channels for the CUDA conv grid: %d, %d", g.cx,
                     g.cy);
  if (g.stride > 255)
    return VQ4J_FAIL(ctx, VQ4J_ERR_UNSUPPORTED, "CUDA conv kernels take strides up to 255, got %d",
                     g.stride);
  if (g.t0 < 0 || g.t1 < g.t0 || g.t1 > g.kh * g.kw || (g.stride != 1 && (g.t0 != 0 || g.t1 != g.kh * g.kw)))
    return VQ4J_FAIL(ctx, VQ4J_ERR_UNSUPPORTED, "tap range [%d, %d) of a %dx%d kernel with stride %d", g.t0,
                     g.t1, g.kh, g.kw, g.stride);
  return VQ4J_OK;
}

dim3 dims(const Grid& grid) {
  return dim3(static_cast<unsigned>(grid.x), static_cast<unsigned>(grid.y), static_cast<unsigned>(grid.z));
}

constexpr size_t kAlign = 256;
size_t aligned(size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

}  // namespace

int conv_fprop_cuda(vq4j_ctx* ctx, const ConvGeom& g, const float* x, const float* w, const float* b,
                    float* y) {
  VQ4J_TRY(check_geom(ctx, g));
  if (fprop_uses_tf32(ctx)) {
    fprop_tf32_kernel<<<dims(fprop_grid(g)), kThreads, 0, stream_of(ctx)>>>(g, x, w, b, y);
    VQ4J_CUDA_CHECK_LAUNCH(ctx, "fprop_tf32_kernel");
    return VQ4J_OK;
  }
  fprop_kernel<<<dims(fprop_grid(g)), kThreads, 0, stream_of(ctx)>>>(g, x, w, b, y);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "fprop_kernel");
  return VQ4J_OK;
}

int conv_dgrad_cuda(vq4j_ctx* ctx, const ConvGeom& g, const float* dy, const float* w, const float* b,
                    float* dx) {
  VQ4J_TRY(check_geom(ctx, g));
  dgrad_kernel<<<dims(dgrad_grid(g)), kThreads, 0, stream_of(ctx)>>>(g, dy, w, b, dx);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "dgrad_kernel");
  return VQ4J_OK;
}

int conv_wgrad_cuda(vq4j_ctx* ctx, const ConvGeom& g, const float* x, const float* dy, float* dw,
                    float* db, BiasOf bias_of) {
  VQ4J_TRY(check_geom(ctx, g));
  const cudaStream_t stream = stream_of(ctx);
  const WgradPlan plan = wgrad_plan(g);
  const long long R = static_cast<long long>(g.t1 - g.t0) * g.cx;
  // The bias gradient sums dY[n oh ow, cy] or X[n h w, cx].
  const float* bsrc = bias_of == BiasOf::kDy ? dy : x;
  const long long brows = bias_of == BiasOf::kDy ? static_cast<long long>(g.n) * g.oh * g.ow
                                                 : static_cast<long long>(g.n) * g.h * g.w;
  const int bcols = bias_of == BiasOf::kDy ? g.cy : g.cx;
  const ColsumPlan bplan = colsum_plan(brows);

  // One workspace: the wgrad partials [splits, cy, R], then the bias partials [bsplits, bcols].
  const size_t part_bytes = aligned(sizeof(float) * plan.splits * g.cy * static_cast<size_t>(R));
  const size_t bpart_bytes = db != nullptr && bplan.splits > 1 ? sizeof(float) * bplan.splits * bcols : 0;
  char* work = nullptr;
  if (part_bytes + bpart_bytes > 0) {
    work = static_cast<char*>(scratch(ctx, part_bytes + bpart_bytes));
    if (work == nullptr) return VQ4J_ERR_MEMORY;
  }
  float* part = reinterpret_cast<float*>(work);

  if (R > 0) {  // a mask that keeps no tap leaves nothing to multiply
    wgrad_kernel<<<dims(wgrad_grid(g, plan)), kThreads, 0, stream>>>(g, x, dy, part, plan.chunk);
    VQ4J_CUDA_CHECK_LAUNCH(ctx, "wgrad_kernel");
  }
  const long long count = static_cast<long long>(g.cy) * g.kh * g.kw * g.cx;
  const int threads = 256;
  const long long blocks = ceil_div(count, threads) < 65535 ? ceil_div(count, threads) : 65535;
  wgrad_finalize_kernel<<<static_cast<unsigned>(blocks), threads, 0, stream>>>(g, part, plan.splits, dw,
                                                                               count);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "wgrad_finalize_kernel");

  if (db != nullptr) {
    float* bpart = bplan.splits > 1 ? reinterpret_cast<float*>(work + part_bytes) : db;
    colsum_kernel<<<dims(colsum_grid(bcols, bplan)), kThreads, 0, stream>>>(
        bsrc, static_cast<int>(brows), bcols, bplan.chunk, bpart);
    VQ4J_CUDA_CHECK_LAUNCH(ctx, "colsum_kernel");
    if (bplan.splits > 1) {
      const int cblocks = static_cast<int>(ceil_div(bcols, threads));
      colsum_finalize_kernel<<<cblocks < 65535 ? cblocks : 65535, threads, 0, stream>>>(bpart, bplan.splits,
                                                                                      bcols, db);
      VQ4J_CUDA_CHECK_LAUNCH(ctx, "colsum_finalize_kernel");
    }
  }
  return VQ4J_OK;
}

}  // namespace vq4j
