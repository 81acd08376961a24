// CPU GELU (tanh approximation); tanh from vec_math_cpu.h so the loops vectorise.
#include "gelu.h"

#include "vec_math_cpu.h"
#include "vector_clones.h"

namespace vq4j {

// x[count] -> y[count]
VQ4J_VECTOR_CLONES
int gelu_fwd_cpu(vq4j_ctx*, const float* x, float* y, long long count) {
#pragma omp parallel for if (count > 32768) schedule(static)
  for (long long i = 0; i < count; ++i) {
    const float v = x[i];
    const float t = vtanh(kGeluSqrt2OverPi * (v + kGeluCubic * v * v * v));
    y[i] = 0.5f * v * (1.0f + t);
  }
  return VQ4J_OK;
}

// x[count], dy[count] -> dx[count]: dy (0.5 (1 + t) + 0.5 x (1 - t^2) du/dx), du/dx = c (1 + 3 a x^2).
VQ4J_VECTOR_CLONES
int gelu_bwd_cpu(vq4j_ctx*, const float* x, const float* dy, float* dx, long long count) {
#pragma omp parallel for if (count > 32768) schedule(static)
  for (long long i = 0; i < count; ++i) {
    const float v = x[i];
    const float t = vtanh(kGeluSqrt2OverPi * (v + kGeluCubic * v * v * v));
    const float du = kGeluSqrt2OverPi * (1.0f + 3.0f * kGeluCubic * v * v);
    dx[i] = dy[i] * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * du);
  }
  return VQ4J_OK;
}

}  // namespace vq4j
