// CPU gated activation of Gated PixelCNN: y = tanh(a) * sigmoid(b) with x = [a | b] per row. The inner
// loops vectorise (vec_math_cpu.h).
#include "gated_activation.h"

#include "vec_math_cpu.h"
#include "vector_clones.h"

namespace vq4j {

// x[rows, 2c] -> y[rows, c]
VQ4J_VECTOR_CLONES
int gated_activation_fwd_cpu(vq4j_ctx*, const float* x, float* y, int rows, int c) {
  const long long count = static_cast<long long>(rows) * c;
#pragma omp parallel for if (count > 32768) schedule(static)
  for (int r = 0; r < rows; ++r) {
    const float* a = x + static_cast<size_t>(r) * 2 * c;
    const float* b = a + c;
    float* yr = y + static_cast<size_t>(r) * c;
    for (int i = 0; i < c; ++i) yr[i] = vtanh(a[i]) * vsigmoid(b[i]);
  }
  return VQ4J_OK;
}

// x[rows, 2c], dy[rows, c] -> dx[rows, 2c]
VQ4J_VECTOR_CLONES
int gated_activation_bwd_cpu(vq4j_ctx*, const float* x, const float* dy, float* dx, int rows, int c) {
  const long long count = static_cast<long long>(rows) * c;
#pragma omp parallel for if (count > 32768) schedule(static)
  for (int r = 0; r < rows; ++r) {
    const float* a = x + static_cast<size_t>(r) * 2 * c;
    const float* b = a + c;
    const float* dyr = dy + static_cast<size_t>(r) * c;
    float* da = dx + static_cast<size_t>(r) * 2 * c;
    float* db = da + c;
    for (int i = 0; i < c; ++i) {
      const float t = vtanh(a[i]);
      const float s = vsigmoid(b[i]);
      da[i] = dyr[i] * s * (1.0f - t * t);
      db[i] = dyr[i] * t * s * (1.0f - s);
    }
  }
  return VQ4J_OK;
}

}  // namespace vq4j
