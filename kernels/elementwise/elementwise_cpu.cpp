// CPU elementwise ops. Outputs may alias inputs: every element is read before it is written.
#include "elementwise.h"

#include "vector_clones.h"

namespace vq4j {

// Below this many floats the OpenMP fork costs more than the loop.
constexpr long long kParallelCount = 32768;

// x[count] -> y[count]
VQ4J_VECTOR_CLONES
int relu_fwd_cpu(vq4j_ctx*, const float* x, float* y, long long count) {
#pragma omp parallel for if (count > kParallelCount) schedule(static)
  for (long long i = 0; i < count; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
  return VQ4J_OK;
}

// y[count], dy[count] -> dx[count]
VQ4J_VECTOR_CLONES
int relu_bwd_cpu(vq4j_ctx*, const float* y, const float* dy, float* dx, long long count) {
#pragma omp parallel for if (count > kParallelCount) schedule(static)
  for (long long i = 0; i < count; ++i) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
  return VQ4J_OK;
}

// a[count], b[count] -> y[count]
VQ4J_VECTOR_CLONES
int add_cpu(vq4j_ctx*, const float* a, const float* b, float* y, long long count) {
#pragma omp parallel for if (count > kParallelCount) schedule(static)
  for (long long i = 0; i < count; ++i) y[i] = a[i] + b[i];
  return VQ4J_OK;
}

}  // namespace vq4j
