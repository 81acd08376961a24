// A counter-based hash shared by the ops that draw random numbers on the device (vq_dead_codes, dropout):
// the host passes a key by value and element i draws hash(key, i), so CPU and CUDA draw the same numbers
// without a generator state to keep in step. SplitMix64's finaliser of key + (i + 1) * golden ratio.
#ifndef VQ4J_COMMON_COUNTER_HASH_H
#define VQ4J_COMMON_COUNTER_HASH_H

namespace vq4j {

#if defined(__CUDACC__)
__host__ __device__
#endif
inline unsigned long long counter_hash(unsigned long long key, unsigned long long i) {
  unsigned long long z = key + (i + 1ULL) * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace vq4j

#endif
