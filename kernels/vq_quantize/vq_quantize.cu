// CUDA quantizer: a fused distance + argmin that never materialises the [rows, k] distance matrix; the
// quantizer loss (the MSE kernel), its gradients (straight-through + commitment, and the codebook gradient
// by the deterministic per-code row scan of sum_by_code.cuh) and the usage statistics, all on the device.
#include <math_constants.h>

#include "cuda_check.cuh"
#include "cuda_launch.cuh"
#include "index_check_cuda.h"
#include "losses/losses.h"
#include "sum_by_code.cuh"
#include "vq_quantize.h"

namespace vq4j {
namespace {

// A block owns kTileRows rows and sweeps the codebook kTileCodes codes at a time, staging kChunk
// dimensions of both tiles in shared memory. Each of the 16 x 16 threads keeps a 4 x 4 register tile of
// dot products: rows ty + 16 i, codes tx + 16 j, a stride that keeps the shared-memory reads
// conflict-free.
constexpr int kThreadsX = 16;  // across codes
constexpr int kThreadsY = 16;  // across rows
constexpr int kMicro = 4;
constexpr int kTileRows = kThreadsY * kMicro;
constexpr int kTileCodes = kThreadsX * kMicro;
constexpr int kChunk = 32;
constexpr int kThreads = kThreadsX * kThreadsY;

// norms[k] = ||codebook[j]||^2
__global__ void codebook_norms(const float* __restrict__ codebook, float* __restrict__ norms, int d, int k) {
  for (int j = blockIdx.x * blockDim.x + threadIdx.x; j < k; j += gridDim.x * blockDim.x) {
    const float* e = codebook + static_cast<size_t>(j) * d;
    float s = 0.0f;
    for (int c = 0; c < d; ++c) s = fmaf(e[c], e[c], s);
    norms[j] = s;
  }
}

// Loads a [kTile, kChunk] slice of src[n, d] (rows base.., dims d0..) transposed into dst[kChunk][kTile + 1],
// zero outside [n, d) so the padded lanes add nothing. The +1 column spreads the transposed writes over
// all banks.
template <int kTile>
__device__ void stage(const float* __restrict__ src, float (*dst)[kTile + 1], int base, int n, int d0,
                      int d) {
  for (int e = threadIdx.x; e < kTile * kChunk; e += kThreads) {
    const int row = e / kChunk;
    const int c = e % kChunk;  // consecutive threads read consecutive dims: coalesced
    const int gr = base + row;
    const int gc = d0 + c;
    dst[c][row] = (gr < n && gc < d) ? src[static_cast<size_t>(gr) * d + gc] : 0.0f;
  }
}

// z_e[rows, d], codebook[k, d], norms[k] -> codes[rows], z_q[rows, d]; one block per kTileRows rows.
__global__ void __launch_bounds__(kThreads)
    nearest_code(const float* __restrict__ z_e, const float* __restrict__ codebook,
                 const float* __restrict__ norms, int* __restrict__ codes, float* __restrict__ z_q, int rows,
                 int d, int k) {
  __shared__ float zs[kChunk][kTileRows + 1];
  __shared__ float es[kChunk][kTileCodes + 1];
  const int tx = threadIdx.x % kThreadsX;
  const int ty = threadIdx.x / kThreadsX;
  const int row0 = blockIdx.x * kTileRows;

  float best[kMicro];
  int best_j[kMicro];
  for (int i = 0; i < kMicro; ++i) {
    best[i] = CUDART_INF_F;  // a row whose distances are all NaN or +inf keeps code 0, as on the CPU
    best_j[i] = 0;
  }

  for (int j0 = 0; j0 < k; j0 += kTileCodes) {
    float dot[kMicro][kMicro] = {};
    for (int d0 = 0; d0 < d; d0 += kChunk) {
      stage<kTileRows>(z_e, zs, row0, rows, d0, d);
      stage<kTileCodes>(codebook, es, j0, k, d0, d);
      __syncthreads();
#pragma unroll 8
      for (int c = 0; c < kChunk; ++c) {
        float a[kMicro], b[kMicro];
        for (int i = 0; i < kMicro; ++i) a[i] = zs[c][ty + kThreadsY * i];
        for (int j = 0; j < kMicro; ++j) b[j] = es[c][tx + kThreadsX * j];
        for (int i = 0; i < kMicro; ++i)
          for (int j = 0; j < kMicro; ++j) dot[i][j] = fmaf(a[i], b[j], dot[i][j]);
      }
      __syncthreads();  // before the next chunk overwrites the tiles
    }
    // Ascending codes with a strict < keep the lowest index among this thread's ties.
    for (int j = 0; j < kMicro; ++j) {
      const int code = j0 + tx + kThreadsX * j;
      if (code >= k) break;
      const float norm = norms[code];
      for (int i = 0; i < kMicro; ++i) {
        const float dist = fmaf(-2.0f, dot[i][j], norm);
        if (dist < best[i]) {
          best[i] = dist;
          best_j[i] = code;
        }
      }
    }
  }

  // The 16 threads of a row group are one half-warp: reduce (distance, index) lexicographically so that
  // ties across threads also go to the lowest index.
  for (int i = 0; i < kMicro; ++i) {
    for (int offset = kThreadsX / 2; offset > 0; offset /= 2) {
      const float other = __shfl_xor_sync(0xffffffffu, best[i], offset);
      const int other_j = __shfl_xor_sync(0xffffffffu, best_j[i], offset);
      if (other < best[i] || (other == best[i] && other_j < best_j[i])) {
        best[i] = other;
        best_j[i] = other_j;
      }
    }
    const int row = row0 + ty + kThreadsY * i;
    if (row >= rows) continue;
    const int code = best_j[i];
    if (tx == 0) codes[row] = code;
    const float* e = codebook + static_cast<size_t>(code) * d;
    float* q = z_q + static_cast<size_t>(row) * d;
    for (int c = tx; c < d; c += kThreadsX) q[c] = e[c];
  }
}

}  // namespace

// z_e[rows, d], codebook[k, d] -> codes[rows], z_q[rows, d]; all device memory, on the context's stream.
int vq_quantize_fwd_cuda(vq4j_ctx* ctx, const float* z_e, const float* codebook, int* codes, float* z_q,
                         int rows, int d, int k) {
  // A non-finite latent has no nearest code: reported at the next synchronisation, as the CPU reports it
  // at the call (its row's code is whatever the comparisons leave, always within [0, k)).
  VQ4J_TRY(check_finite_cuda(ctx, "vq_quantize_fwd", "z_e", z_e, rows, d));
  float* norms = static_cast<float*>(scratch(ctx, sizeof(float) * static_cast<size_t>(k)));
  if (norms == nullptr) return VQ4J_ERR_MEMORY;
  const cudaStream_t stream = stream_of(ctx);
  const int norm_threads = 256;
  const int norm_blocks = (k - 1) / norm_threads + 1;  // no overflow near INT_MAX
  codebook_norms<<<norm_blocks, norm_threads, 0, stream>>>(codebook, norms, d, k);
  VQ4J_CUDA_CHECK(ctx, cudaGetLastError());
  const int blocks = (rows - 1) / kTileRows + 1;
  nearest_code<<<blocks, kThreads, 0, stream>>>(z_e, codebook, norms, codes, z_q, rows, d, k);
  VQ4J_CUDA_CHECK(ctx, cudaGetLastError());
  return VQ4J_OK;
}

}  // namespace vq4j

// ---------------------------------------------------------------- loss, gradients, statistics

namespace vq4j {
namespace {

// dcodebook[j, c] = sum over rows r with codes[r] = j, in row order, of scale (z_q[r, c] - z_e[r, c]): the
// CPU reference's operations in its order (the _rn intrinsics keep nvcc from fusing them into an fma).
struct CodebookGrad {
  using Acc = float;
  const float* z_q;
  const float* z_e;
  float* dcodebook;
  float scale;
  int d;
  __device__ float add(float acc, long long r, int c) const {
    const long long i = r * d + c;
    return __fadd_rn(acc, __fmul_rn(scale, __fsub_rn(z_q[i], z_e[i])));
  }
  __device__ void store(int j, int c, float sum) const { dcodebook[static_cast<long long>(j) * d + c] = sum; }
  __device__ void store_count(int, int) const {}
};

// dz_e[i] = dz_q[i] + commit (z_e[i] - z_q[i]) over count values; dz_e may be dz_q.
__global__ void commitment_grad(const float* z_e, const float* z_q, const float* dz_q, float* dz_e,
                                float commit, long long count) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<long long>(gridDim.x) * blockDim.x)
    dz_e[i] = __fadd_rn(dz_q[i], __fmul_rn(commit, __fsub_rn(z_e[i], z_q[i])));
}

// counts[k] -> perplexity[0] = exp(-sum_j p_j ln p_j), p_j = counts[j] / total. One block; the total and
// the entropy are summed by thread 0 in ascending j, the CPU reference's order, from values the block stages
// kBlockThreads codes at a time.
__global__ void __launch_bounds__(kBlockThreads)
    stats_finish(const float* __restrict__ counts, float* __restrict__ perplexity, int k) {
  __shared__ double terms[kBlockThreads];
  __shared__ bool used[kBlockThreads];
  __shared__ double total;
  if (threadIdx.x == 0) {
    double t = 0.0;
    for (int j = 0; j < k; ++j) t = __dadd_rn(t, static_cast<double>(counts[j]));
    total = t;
  }
  __syncthreads();
  double entropy = 0.0;  // thread 0's is the one that counts
  for (long long j0 = 0; j0 < k; j0 += kBlockThreads) {
    const long long j = j0 + threadIdx.x;
    double term = 0.0;
    bool nonzero = false;
    if (j < k && counts[j] != 0.0f) {  // 0 ln 0 = 0: skipped, as on the CPU
      const double p = __ddiv_rn(static_cast<double>(counts[j]), total);
      term = __dmul_rn(p, log(p));
      nonzero = true;
    }
    terms[threadIdx.x] = term;
    used[threadIdx.x] = nonzero;
    __syncthreads();
    if (threadIdx.x == 0) {
      const int m = k - j0 < kBlockThreads ? static_cast<int>(k - j0) : kBlockThreads;
      for (int i = 0; i < m; ++i)
        if (used[i]) entropy -= terms[i];
    }
    __syncthreads();  // before the next chunk overwrites terms
  }
  if (threadIdx.x == 0) perplexity[0] = static_cast<float>(exp(entropy));
}

}  // namespace

// z_e[rows, d], z_q[rows, d] -> loss[1] = mean (z_e - z_q)^2 (the deterministic MSE of losses.cu)
int vq_loss_cuda(vq4j_ctx* ctx, const float* z_e, const float* z_q, float* loss, int rows, int d) {
  return mse_fwd_cuda(ctx, z_e, z_q, loss, static_cast<long long>(rows) * d);
}

// z_e[rows, d], z_q[rows, d], codes[rows], dz_q[rows, d] -> dz_e[rows, d], dcodebook[k, d] (optional)
int vq_quantize_bwd_cuda(vq4j_ctx* ctx, const float* z_e, const float* z_q, const int* codes,
                         const float* dz_q, float* dz_e, float* dcodebook, float beta, float codebook_weight,
                         int rows, int d, int k) {
  const long long count = static_cast<long long>(rows) * d;
  const double inv_count = 1.0 / static_cast<double>(count);
  if (dcodebook != nullptr) {  // k is meaningful only with a codebook gradient, as on the CPU
    VQ4J_TRY(check_indices_cuda(ctx, "vq_quantize_bwd", "codes", codes, rows, k));
    const float scale = static_cast<float>(2.0 * codebook_weight * inv_count);
    VQ4J_TRY(launch_sum_rows_by_code(ctx, codes, rows, d, k, CodebookGrad{z_q, z_e, dcodebook, scale, d}));
  }
  const float commit = static_cast<float>(2.0 * beta * inv_count);
  commitment_grad<<<grid_for(count), kBlockThreads, 0, stream_of(ctx)>>>(z_e, z_q, dz_q, dz_e, commit, count);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "commitment_grad");
  return VQ4J_OK;
}

// counts[k] -> perplexity[1], both in device memory
int vq_stats_cuda(vq4j_ctx* ctx, const float* counts, float* perplexity, int k) {
  stats_finish<<<1, kBlockThreads, 0, stream_of(ctx)>>>(counts, perplexity, k);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "stats_finish");
  return VQ4J_OK;
}

}  // namespace vq4j
