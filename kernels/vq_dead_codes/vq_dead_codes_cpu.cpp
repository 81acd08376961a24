// CPU dead-code tracking and restart: the reference of vq_dead_codes.cu.
#include "vq_dead_codes.h"

#include <cstring>

namespace vq4j {

int vq_dead_codes_cpu(vq4j_ctx*, const float* counts, float* usage, const float* candidates, float* codebook,
                      float* ema_count, float* ema_sum, int* restarted, float* dead, int d, int k, double decay,
                      float threshold, int restart) {
  int n_dead = 0;
  for (int j = 0; j < k; ++j) {
    // In double, rounded once: the update the host loop made before this op existed.
    usage[j] = static_cast<float>(decay * usage[j] + (1.0 - decay) * counts[j]);
    const bool is_dead = usage[j] < threshold;
    n_dead += is_dead;
    restarted[j] = is_dead && restart;
    if (!restarted[j]) continue;
    const float* row = candidates + static_cast<long long>(j) * d;
    std::memcpy(codebook + static_cast<long long>(j) * d, row, sizeof(float) * d);
    if (ema_sum != nullptr) std::memcpy(ema_sum + static_cast<long long>(j) * d, row, sizeof(float) * d);
    if (ema_count != nullptr) ema_count[j] = 1.0f;
    usage[j] = 1.0f;
  }
  dead[0] = static_cast<float>(n_dead);
  return VQ4J_OK;
}

}  // namespace vq4j
