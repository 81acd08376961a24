// CPU causal attention, the reference: one query row at a time with its scores in a row buffer (at most
// tk floats), the softmax's sums in double. The backward recomputes each probability from lse and
// accumulates dk and dv per (batch, head) in double, so the sums do not depend on the thread count.
#include "causal_attention.h"

#include <algorithm>
#include <cmath>
#include <vector>
#include "vector_clones.h"

namespace vq4j {
namespace {

float dot(const float* a, const float* b, int n) {
  float s = 0.0f;
  for (int d = 0; d < n; ++d) s += a[d] * b[d];
  return s;
}

}  // namespace

VQ4J_VECTOR_CLONES
int causal_attention_fwd_cpu(vq4j_ctx*, const float* q, const float* k, const float* v, float* y, float* lse,
                             int batch, int tq, int tk, int kv_rows, int heads, int dh) {
  const int c = heads * dh;
  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
#pragma omp parallel
  {
    std::vector<float> s(tk);
    std::vector<double> acc(dh);
#pragma omp for collapse(2) schedule(static)
    for (int bh = 0; bh < batch * heads; ++bh) {
      for (int i = 0; i < tq; ++i) {
        const int b = bh / heads, h = bh % heads;
        const int p = tk - tq + i;
        const float* qi = q + (static_cast<size_t>(b) * tq + i) * c + h * dh;
        const float* kb = k + static_cast<size_t>(b) * kv_rows * c + h * dh;
        const float* vb = v + static_cast<size_t>(b) * kv_rows * c + h * dh;
        float m = -INFINITY;
        for (int j = 0; j <= p; ++j) {
          s[j] = dot(qi, kb + static_cast<size_t>(j) * c, dh) * scale;
          m = s[j] > m ? s[j] : m;
        }
        double l = 0.0;
        for (int d = 0; d < dh; ++d) acc[d] = 0.0;
        for (int j = 0; j <= p; ++j) {
          const double e = std::exp(static_cast<double>(s[j]) - m);
          l += e;
          const float* vj = vb + static_cast<size_t>(j) * c;
          for (int d = 0; d < dh; ++d) acc[d] += e * vj[d];
        }
        float* yi = y + (static_cast<size_t>(b) * tq + i) * c + h * dh;
        for (int d = 0; d < dh; ++d) yi[d] = static_cast<float>(acc[d] / l);
        lse[static_cast<size_t>(bh) * tq + i] = static_cast<float>(m + std::log(l));
      }
    }
  }
  return VQ4J_OK;
}

// With P_ij = exp(q_i . k_j scale - lse_i), D_i = dy_i . y_i and dS_ij = P_ij (dy_i . v_j - D_i):
// dq_i = scale sum_j dS_ij k_j, dk_j = scale sum_i dS_ij q_i, dv_j = sum_i P_ij dy_i.
VQ4J_VECTOR_CLONES
int causal_attention_bwd_cpu(vq4j_ctx*, const float* q, const float* k, const float* v, const float* y,
                             const float* lse, const float* dy, float* dq, float* dk, float* dv, int batch,
                             int t, int heads, int dh) {
  const int c = heads * dh;
  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
#pragma omp parallel
  {
    std::vector<double> gq(dh), gk(static_cast<size_t>(t) * dh), gv(static_cast<size_t>(t) * dh);
#pragma omp for schedule(static)
    for (int bh = 0; bh < batch * heads; ++bh) {
      const int b = bh / heads, h = bh % heads;
      const size_t base = static_cast<size_t>(b) * t * c + h * dh;
      std::fill(gk.begin(), gk.end(), 0.0);
      std::fill(gv.begin(), gv.end(), 0.0);
      for (int i = 0; i < t; ++i) {
        const float* qi = q + base + static_cast<size_t>(i) * c;
        const float* dyi = dy + base + static_cast<size_t>(i) * c;
        const float di = dot(dyi, y + base + static_cast<size_t>(i) * c, dh);
        const float li = lse[static_cast<size_t>(bh) * t + i];
        std::fill(gq.begin(), gq.end(), 0.0);
        for (int j = 0; j <= i; ++j) {
          const float* kj = k + base + static_cast<size_t>(j) * c;
          const float* vj = v + base + static_cast<size_t>(j) * c;
          const double pij = std::exp(static_cast<double>(dot(qi, kj, dh) * scale) - li);
          const double ds = pij * (dot(dyi, vj, dh) - di);
          double* gkj = gk.data() + static_cast<size_t>(j) * dh;
          double* gvj = gv.data() + static_cast<size_t>(j) * dh;
          for (int d = 0; d < dh; ++d) {
            gq[d] += ds * kj[d];
            gkj[d] += ds * qi[d];
            gvj[d] += pij * dyi[d];
          }
        }
        float* dqi = dq + base + static_cast<size_t>(i) * c;
        for (int d = 0; d < dh; ++d) dqi[d] = static_cast<float>(gq[d] * scale);
      }
      for (int j = 0; j < t; ++j) {
        float* dkj = dk + base + static_cast<size_t>(j) * c;
        float* dvj = dv + base + static_cast<size_t>(j) * c;
        for (int d = 0; d < dh; ++d) {
          dkj[d] = static_cast<float>(gk[static_cast<size_t>(j) * dh + d] * scale);
          dvj[d] = static_cast<float>(gv[static_cast<size_t>(j) * dh + d]);
        }
      }
    }
  }
  return VQ4J_OK;
}

}  // namespace vq4j
