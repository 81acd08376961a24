// CUDA quantizer: a fused distance + argmin that never materialises the [rows, k] distance matrix.
#include <math_constants.h>

#include "cuda_check.cuh"
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
