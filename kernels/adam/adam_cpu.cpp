// CPU Adam step, PyTorch's formulation (torch.optim.Adam, L2 weight decay folded into the gradient, or
// torch.optim.AdamW's decoupled decay).
#include "adam.h"

#include <algorithm>
#include <cmath>

#include "vector_clones.h"

namespace vq4j {

// param[count], grad[count], m[count], v[count]; param, m, v updated in place.
VQ4J_VECTOR_CLONES
int adam_step_cpu(vq4j_ctx*, float* param, const float* grad, float* m, float* v, long long count, double lr,
                  double beta1, double beta2, double eps, double weight_decay, int t, int decoupled) {
  // Hyper-parameters and their derived constants are formed in double, as PyTorch forms them from
  // Python floats, and rounded to float once: 1 - 0.999f in float is off by 1.3e-5 relative.
  const double bias_correction1 = 1.0 - std::pow(beta1, t);
  const double bias_correction2 = 1.0 - std::pow(beta2, t);
  const float step_size = static_cast<float>(lr / bias_correction1);
  const float bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
  const float b1 = static_cast<float>(beta1);
  const float b2 = static_cast<float>(beta2);
  const float one_minus_b1 = static_cast<float>(1.0 - beta1);
  const float one_minus_b2 = static_cast<float>(1.0 - beta2);
  // AdamW's shrink factor is 1 (exact) for Adam, whose L2 term is 0 (exact) for AdamW: one loop serves both.
  const float shrink = decoupled ? static_cast<float>(1.0 - lr * weight_decay) : 1.0f;
  const float wd = decoupled ? 0.0f : static_cast<float>(weight_decay);
  const float epsf = static_cast<float>(eps);
#pragma omp parallel for if (count > 32768) schedule(static)
  for (long long i = 0; i < count; ++i) {
    const float p = param[i] * shrink;
    const float g = grad[i] + wd * p;
    const float mi = b1 * m[i] + one_minus_b1 * g;
    const float vi = b2 * v[i] + one_minus_b2 * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = p - step_size * mi / (std::sqrt(vi) / bias_correction2_sqrt + epsf);
  }
  return VQ4J_OK;
}

int adam_reset_rows_cpu(vq4j_ctx*, float* m, float* v, const int* mask, int rows, int width) {
  for (int r = 0; r < rows; ++r) {
    if (mask[r] == 0) continue;
    std::fill_n(m + static_cast<long long>(r) * width, width, 0.0f);
    std::fill_n(v + static_cast<long long>(r) * width, width, 0.0f);
  }
  return VQ4J_OK;
}

}  // namespace vq4j
