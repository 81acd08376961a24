// Deterministic sums on the device, without float atomics: every sum is taken in an order fixed by its
// length alone, so the same inputs give the same bits on every run (though not the CPU's bits: the CPU
// sums in another fixed order, and both accumulate in double, so they agree to about 1e-16 relative before
// the final rounding to float).
//
// Two passes over n terms:
//   1. partial_sums<<<G, kBlockThreads>>>: G = grid_for(n, kBlockThreads, kReduceBlocks) blocks, a function
//      of n only. Thread t of block b adds terms b*T + t, b*T + t + G*T, ... in that order (T = threads per
//      block), then the block halves its T sums pairwise (t += t + h, h = T/2 .. 1), writing partial[b].
//   2. finish_mean<<<1, kBlockThreads>>>: the same per-thread stride then pairwise halving over the G
//      partials, then out[0] = (float)(sum / divisor).
#ifndef VQ4J_COMMON_CUDA_REDUCE_CUH
#define VQ4J_COMMON_CUDA_REDUCE_CUH

#include "cuda_launch.cuh"

namespace vq4j {

// At most this many partial sums (and blocks in pass 1).
constexpr int kReduceBlocks = 1024;

// The blocks of pass 1 for n terms (also the number of partial doubles pass 1 writes).
inline int reduce_blocks(long long n) { return grid_for(n, kBlockThreads, kReduceBlocks < kGridCap ? kReduceBlocks : kGridCap); }

// Halves the block's kBlockThreads values in s[] pairwise, in a fixed order; s[0] then holds the sum.
// Every thread of the block must call it.
__device__ __forceinline__ void block_pairwise_sum(double* s) {
  __syncthreads();
  for (int h = kBlockThreads / 2; h > 0; h /= 2) {
    if (static_cast<int>(threadIdx.x) < h) s[threadIdx.x] += s[threadIdx.x + h];
    __syncthreads();
  }
}

// term(i) for i in [0, n) -> partial[gridDim.x]; launch with kBlockThreads threads.
template <class Term>
__global__ void __launch_bounds__(kBlockThreads) partial_sums(Term term, long long n, double* partial) {
  __shared__ double s[kBlockThreads];
  double acc = 0.0;
  for (long long i = blockIdx.x * static_cast<long long>(kBlockThreads) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * kBlockThreads)
    acc += term(i);
  s[threadIdx.x] = acc;
  block_pairwise_sum(s);
  if (threadIdx.x == 0) partial[blockIdx.x] = s[0];
}

// partial[g] -> out[0] = (float)(sum / divisor); launch as <<<1, kBlockThreads>>>. A template, like
// partial_sums, so that every .cu including this header may launch it without relocatable device code.
template <int kUnused = 0>
__global__ void __launch_bounds__(kBlockThreads) finish_mean(const double* partial, int g, double divisor,
                                                             float* out) {
  __shared__ double s[kBlockThreads];
  double acc = 0.0;
  for (int i = threadIdx.x; i < g; i += kBlockThreads) acc += partial[i];
  s[threadIdx.x] = acc;
  block_pairwise_sum(s);
  if (threadIdx.x == 0) out[0] = static_cast<float>(s[0] / divisor);
}

// Terms of the reductions.
struct SquaredDiff {  // (a[i] - b[i])^2 in double, the CPU's term
  const float* a;
  const float* b;
  __device__ double operator()(long long i) const {
    const double diff = static_cast<double>(a[i]) - static_cast<double>(b[i]);
    return __dmul_rn(diff, diff);  // rounded on its own, not fused into the running sum
  }
};

struct Doubles {  // x[i]
  const double* x;
  __device__ double operator()(long long i) const { return x[i]; }
};

// mean over n terms into out[0] (device memory), on the context's stream; partial holds reduce_blocks(n)
// doubles of device scratch.
template <class Term>
int mean_of(vq4j_ctx* ctx, Term term, long long n, double* partial, float* out) {
  const int g = reduce_blocks(n);
  partial_sums<Term><<<g, kBlockThreads, 0, stream_of(ctx)>>>(term, n, partial);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "partial_sums");
  finish_mean<><<<1, kBlockThreads, 0, stream_of(ctx)>>>(partial, g, static_cast<double>(n), out);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "finish_mean");
  return VQ4J_OK;
}

}  // namespace vq4j

#endif
