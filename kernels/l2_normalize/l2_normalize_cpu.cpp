// CPU l2 normalisation: double sums per row.
#include "l2_normalize.h"

#include <algorithm>
#include <cmath>
#include "vector_clones.h"

namespace vq4j {

VQ4J_VECTOR_CLONES
int l2_normalize_fwd_cpu(vq4j_ctx*, const float* x, float* y, int rows, int d) {
#pragma omp parallel for if (static_cast<long long>(rows) * d > 32768) schedule(static)
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + static_cast<size_t>(r) * d;
    double s = 0;
    for (int c = 0; c < d; ++c) s += static_cast<double>(xr[c]) * xr[c];
    const double inv = 1 / std::max(std::sqrt(s), kL2NormalizeEps);
    float* yr = y + static_cast<size_t>(r) * d;
    for (int c = 0; c < d; ++c) yr[c] = static_cast<float>(xr[c] * inv);
  }
  return VQ4J_OK;
}

VQ4J_VECTOR_CLONES
int l2_normalize_bwd_cpu(vq4j_ctx*, const float* x, const float* dy, float* dx, int rows, int d) {
#pragma omp parallel for if (static_cast<long long>(rows) * d > 32768) schedule(static)
  for (int r = 0; r < rows; ++r) {
    const size_t o = static_cast<size_t>(r) * d;
    double ss = 0, sg = 0;
    for (int c = 0; c < d; ++c) {
      ss += static_cast<double>(x[o + c]) * x[o + c];
      sg += static_cast<double>(x[o + c]) * dy[o + c];
    }
    const double n = std::sqrt(ss);
    if (n <= kL2NormalizeEps) {
      for (int c = 0; c < d; ++c) dx[o + c] = static_cast<float>(dy[o + c] / kL2NormalizeEps);
      continue;
    }
    // (dy - y (y.dy)) / n with y = x / n: the radial part of dy does not move y.
    const double radial = sg / (n * n);
    for (int c = 0; c < d; ++c) dx[o + c] = static_cast<float>((dy[o + c] - x[o + c] * radial) / n);
  }
  return VQ4J_OK;
}

}  // namespace vq4j
