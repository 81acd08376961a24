// Deterministic per-code sums of rows on the device (embedding gradient, codebook gradient, EMA sums): the
// CUDA counterpart of scatter_by_code.h, without atomics and without sorting.
//
// Scheme: every output (code j, dimension c) belongs to one thread, which scans all rows in ascending order
// and adds row r into its running sum when codes[r] == j. So each sum is taken in row order, exactly as the
// CPU reference takes it (same operations, same order: the same bits), whatever the launch geometry.
// A block is 32 x 8 threads: threadIdx.y picks one of 8 codes (so a warp shares one code and the test
// codes[r] == j is uniform across the warp), threadIdx.x with two dimensions per lane covers 64 dimensions.
// The block stages the codes in shared memory 1024 rows at a time and every warp reads them as broadcasts.
//
// Cost: each warp scans every row, so the compare work is k * ceil(d / 64) * rows warp-steps (k = 512,
// d = 64: 512 warps; rows = 2048 ~ 1M warp-steps, a few microseconds; rows = 50k ~ 26M warp-steps, of the
// order of 0.1-0.3 ms on an H100), plus one read of each matching row's d values: rows * d loads in all.
// The cost does not depend on how the codes are distributed (a collapsed codebook, every row on one code,
// costs the same), needs no workspace and no extra pass. It grows with k * rows, so it is the wrong choice
// for a vocabulary of 10^5 ids; a counting sort (histogram, scan, stable fill, per-code gather) would
// then be the next step.
#ifndef VQ4J_COMMON_SUM_BY_CODE_CUH
#define VQ4J_COMMON_SUM_BY_CODE_CUH

#include "cuda_check.cuh"

namespace vq4j {

constexpr int kSumLanes = 32;        // threads across dimensions (one warp)
constexpr int kSumCodes = 8;         // codes per block (one per warp)
constexpr int kSumDimsPerLane = 2;   // dimensions per thread
constexpr int kSumDims = kSumLanes * kSumDimsPerLane;
constexpr int kSumTile = 1024;       // codes staged in shared memory per pass

// Op supplies:
//   using Acc = float or double;                      the running sum's type
//   __device__ Acc add(Acc acc, long long r, int c);  acc plus row r's term at dimension c
//   __device__ void store(int j, int c, Acc sum);     once per (j, c) with j < k, c < d
//   __device__ void store_count(int j, int n);        once per j < k: the number of rows with code j
// A code outside [0, k) matches no j: its row is left out, and nothing is read or written through it (the
// device-side check of index_check_cuda.h reports it later).
template <class Op>
__global__ void __launch_bounds__(kSumLanes * kSumCodes)
    sum_rows_by_code(const int* __restrict__ codes, int rows, int d, int k, Op op) {
  __shared__ int tile[kSumTile];
  using Acc = typename Op::Acc;
  const int lane = threadIdx.x;
  const int tid = threadIdx.y * kSumLanes + lane;
  const int c0 = blockIdx.x * kSumDims + lane;  // this thread's dimensions: c0 + 32 q, q < kSumDimsPerLane
  for (long long j0 = static_cast<long long>(blockIdx.y) * kSumCodes; j0 < k;
       j0 += static_cast<long long>(gridDim.y) * kSumCodes) {
    const int j = static_cast<int>(j0) + threadIdx.y;
    const bool active = j < k;
    Acc acc[kSumDimsPerLane];
    for (int q = 0; q < kSumDimsPerLane; ++q) acc[q] = Acc(0);
    int n = 0;
    for (long long r0 = 0; r0 < rows; r0 += kSumTile) {
      const int m = rows - r0 < kSumTile ? static_cast<int>(rows - r0) : kSumTile;
      __syncthreads();  // every warp is done with the previous tile
      for (int i = tid; i < m; i += kSumLanes * kSumCodes) tile[i] = codes[r0 + i];
      __syncthreads();
      if (active) {
#pragma unroll 4
        for (int i = 0; i < m; ++i) {
          if (tile[i] != j) continue;
          ++n;
          for (int q = 0; q < kSumDimsPerLane; ++q) {
            const int c = c0 + kSumLanes * q;
            if (c < d) acc[q] = op.add(acc[q], r0 + i, c);
          }
        }
      }
    }
    if (active) {
      for (int q = 0; q < kSumDimsPerLane; ++q) {
        const int c = c0 + kSumLanes * q;
        if (c < d) op.store(j, c, acc[q]);
      }
      if (c0 == 0) op.store_count(j, n);
    }
  }
}

// Launches sum_rows_by_code over codes[rows] for k codes of d dimensions on the context's stream.
template <class Op>
int launch_sum_rows_by_code(vq4j_ctx* ctx, const int* codes, int rows, int d, int k, const Op& op) {
  const long long code_blocks = (static_cast<long long>(k) + kSumCodes - 1) / kSumCodes;
  const dim3 grid((d + kSumDims - 1) / kSumDims,
                  static_cast<unsigned>(code_blocks < 65535 ? code_blocks : 65535));
  const dim3 block(kSumLanes, kSumCodes);
  sum_rows_by_code<Op><<<grid, block, 0, stream_of(ctx)>>>(codes, rows, d, k, op);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "sum_rows_by_code");
  return VQ4J_OK;
}

}  // namespace vq4j

#endif
