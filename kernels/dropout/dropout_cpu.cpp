// CPU inverted dropout from the counter hash (dropout.h).
#include "dropout.h"
#include "vector_clones.h"

namespace vq4j {

// x[count] -> y[count]
VQ4J_VECTOR_CLONES
int dropout_cpu(vq4j_ctx*, const float* x, float* y, long long count, float p, unsigned long long key) {
  const float scale = 1.0f / (1.0f - p);
#pragma omp parallel for if (count > 32768) schedule(static)
  for (long long i = 0; i < count; ++i) y[i] = dropout_keeps(key, i, p) ? x[i] * scale : 0.0f;
  return VQ4J_OK;
}

}  // namespace vq4j
