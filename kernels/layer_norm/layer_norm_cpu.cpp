// CPU layer norm. Row statistics and the backward's row and column sums are taken in double, in a fixed
// order, so results do not depend on the thread count.
#include "layer_norm.h"

#include <cmath>
#include <vector>
#include "vector_clones.h"

namespace vq4j {

// x[rows, c], gamma[c], beta[c] -> y[rows, c], mean[rows], rstd[rows]
VQ4J_VECTOR_CLONES
int layer_norm_fwd_cpu(vq4j_ctx*, const float* x, const float* gamma, const float* beta, float* y,
                       float* mean, float* rstd, int rows, int c, float eps) {
#pragma omp parallel for if (static_cast<long long>(rows) * c > 32768) schedule(static)
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + static_cast<size_t>(r) * c;
    float* yr = y + static_cast<size_t>(r) * c;
    double s = 0.0;
    for (int i = 0; i < c; ++i) s += xr[i];
    const double mu = s / c;
    double ss = 0.0;
    for (int i = 0; i < c; ++i) ss += (xr[i] - mu) * (xr[i] - mu);
    const float m = static_cast<float>(mu);
    const float rs = static_cast<float>(1.0 / std::sqrt(ss / c + eps));
    for (int i = 0; i < c; ++i) yr[i] = (xr[i] - m) * rs * gamma[i] + beta[i];
    mean[r] = m;
    rstd[r] = rs;
  }
  return VQ4J_OK;
}

// dx[r] = rstd (g - mean(g) - xhat mean(g xhat)) with g = dy gamma, xhat = (x - mean) rstd;
// dgamma = sum over rows of dy xhat, dbeta = sum over rows of dy.
VQ4J_VECTOR_CLONES
int layer_norm_bwd_cpu(vq4j_ctx*, const float* x, const float* gamma, const float* mean, const float* rstd,
                       const float* dy, float* dx, float* dgamma, float* dbeta, int rows, int c) {
#pragma omp parallel for if (static_cast<long long>(rows) * c > 32768) schedule(static)
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + static_cast<size_t>(r) * c;
    const float* dyr = dy + static_cast<size_t>(r) * c;
    float* dxr = dx + static_cast<size_t>(r) * c;
    double sg = 0.0, sgx = 0.0;
    for (int i = 0; i < c; ++i) {
      const double g = static_cast<double>(dyr[i]) * gamma[i];
      sg += g;
      sgx += g * (xr[i] - mean[r]) * rstd[r];
    }
    const float mg = static_cast<float>(sg / c);
    const float mgx = static_cast<float>(sgx / c);
    for (int i = 0; i < c; ++i) {
      const float xhat = (xr[i] - mean[r]) * rstd[r];
      dxr[i] = rstd[r] * (dyr[i] * gamma[i] - mg - xhat * mgx);
    }
  }
  std::vector<double> sgam(c, 0.0), sbet(c, 0.0);
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + static_cast<size_t>(r) * c;
    const float* dyr = dy + static_cast<size_t>(r) * c;
    for (int i = 0; i < c; ++i) {
      sgam[i] += static_cast<double>(dyr[i]) * ((xr[i] - mean[r]) * rstd[r]);
      sbet[i] += dyr[i];
    }
  }
  for (int i = 0; i < c; ++i) {
    dgamma[i] = static_cast<float>(sgam[i]);
    dbeta[i] = static_cast<float>(sbet[i]);
  }
  return VQ4J_OK;
}

}  // namespace vq4j
