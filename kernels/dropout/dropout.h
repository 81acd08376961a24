// Inverted dropout with a seeded mask: y[i] = x[i] / (1 - p) where element i is kept, else 0. Element i is
// kept when the top 24 bits of counter_hash(key, i), read as u in [0, 1), are >= p: the mask is a function
// of (key, i) alone, so CPU and CUDA drop the same elements and the backward needs no stored mask (it is
// this op applied to dy with the same key). Shapes: x[count], y[count]; y may alias x. 0 <= p < 1.
// The _cpu and _cuda variants share one signature; the C API has validated every argument.
#ifndef VQ4J_KERNELS_DROPOUT_H
#define VQ4J_KERNELS_DROPOUT_H

#include "context.h"
#include "counter_hash.h"

namespace vq4j {

#if defined(__CUDACC__)
__host__ __device__
#endif
inline bool dropout_keeps(unsigned long long key, long long i, float p) {
  const unsigned long long z = counter_hash(key, static_cast<unsigned long long>(i));
  return static_cast<float>(z >> 40) * (1.0f / 16777216.0f) >= p;
}

int dropout_cpu(vq4j_ctx* ctx, const float* x, float* y, long long count, float p, unsigned long long key);
int dropout_cuda(vq4j_ctx* ctx, const float* x, float* y, long long count, float p, unsigned long long key);

}  // namespace vq4j

#endif
