// CPU rotation trick backward: one pass of five dot products per row (double sums), then the update.
#include "vq_rotate_grad.h"

#include <cmath>
#include "vector_clones.h"

namespace vq4j {

VQ4J_VECTOR_CLONES
int vq_rotate_grad_cpu(vq4j_ctx*, const float* z_e, const float* z_q, const float* dz_q, float* dz_rot,
                       int rows, int d) {
#pragma omp parallel for if (static_cast<long long>(rows) * d > 32768) schedule(static)
  for (int row = 0; row < rows; ++row) {
    const size_t o = static_cast<size_t>(row) * d;
    const float* ze = z_e + o;
    const float* zq = z_q + o;
    const float* g = dz_q + o;
    float* out = dz_rot + o;
    double ee = 0, qq = 0, eq = 0, eg = 0, qg = 0;
    for (int c = 0; c < d; ++c) {
      ee += static_cast<double>(ze[c]) * ze[c];
      qq += static_cast<double>(zq[c]) * zq[c];
      eq += static_cast<double>(ze[c]) * zq[c];
      eg += static_cast<double>(ze[c]) * g[c];
      qg += static_cast<double>(zq[c]) * g[c];
    }
    if (ee == 0 || qq == 0) {
      for (int c = 0; c < d; ++c) out[c] = g[c];
      continue;
    }
    const double ne = std::sqrt(ee);
    const double nq = std::sqrt(qq);
    // |e + q|^2 = 2 + 2 e.q, and r.g = (z_e.g / ne + z_q.g / nq) / |e + q|.
    const double rr = 2 + 2 * (eq / (ne * nq));
    const double lambda = nq / ne;
    const double inv_r = rr < 1e-12 ? 0 : 1 / std::sqrt(rr);
    const double rg = (eg / ne + qg / nq) * inv_r;
    // lambda (g - 2 r (r.g) + 2 e (q.g)), r = (z_e/ne + z_q/nq) inv_r, e = z_e/ne, q.g = qg/nq.
    const double a = -2 * rg * inv_r;
    const double be = a / ne + 2 * (qg / nq) / ne;
    const double bq = a / nq;
    for (int c = 0; c < d; ++c) {
      out[c] = static_cast<float>(lambda * (g[c] + be * ze[c] + bq * zq[c]));
    }
  }
  return VQ4J_OK;
}

}  // namespace vq4j
