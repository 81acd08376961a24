// Warp-level sums for the row-per-warp kernels (layer_norm, causal_attention): a butterfly over the 32
// lanes, so every lane ends with the same sum, in an order fixed by the lane count alone (deterministic).
#ifndef VQ4J_COMMON_CUDA_WARP_CUH
#define VQ4J_COMMON_CUDA_WARP_CUH

namespace vq4j {

constexpr int kWarp = 32;

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = kWarp / 2; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

}  // namespace vq4j

#endif
