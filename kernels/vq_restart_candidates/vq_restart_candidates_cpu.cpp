// CPU restart candidates: the reference of vq_restart_candidates.cu.
#include "vq_restart_candidates.h"

#include <cstring>

namespace vq4j {

int vq_restart_candidates_cpu(vq4j_ctx*, const float* z_e, float* candidates, int rows, long long first_row,
                              long long total_rows, int d, int k, unsigned long long key) {
  for (int j = 0; j < k; ++j) {
    const long long r = dead_code_row(key, j, total_rows) - first_row;
    float* out = candidates + static_cast<long long>(j) * d;
    if (r >= 0 && r < rows) {
      std::memcpy(out, z_e + r * d, sizeof(float) * d);
    } else {
      std::memset(out, 0, sizeof(float) * d);
    }
  }
  return VQ4J_OK;
}

}  // namespace vq4j
