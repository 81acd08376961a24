// CPU FSQ: per-row digits and their mixed-radix code, and the straight-through gradient of the bound.
#include <cstring>

#include "fsq.h"
#include "fsq_math.h"

namespace vq4j {

int fsq_fwd_cpu(vq4j_ctx*, const float* z, const int* levels, int* codes, float* z_q, int rows, int d) {
  FsqChannel ch[kFsqMaxDims];
  for (int i = 0; i < d; ++i) ch[i] = fsq_channel(levels[i]);
#pragma omp parallel for if (static_cast<long long>(rows) * d > 32768) schedule(static)
  for (int r = 0; r < rows; ++r) {
    int code = 0;
    int basis = 1;
    for (int i = 0; i < d; ++i) {
      const size_t at = static_cast<size_t>(r) * d + i;
      const int digit = fsq_digit(ch[i], z[at]);
      z_q[at] = static_cast<float>(digit - ch[i].half_width) / static_cast<float>(ch[i].half_width);
      code += digit * basis;
      basis *= levels[i];
    }
    codes[r] = code;
  }
  return VQ4J_OK;
}

int fsq_bwd_cpu(vq4j_ctx*, const float* z, const int* levels, const float* dz_q, float* dz, int rows, int d) {
  FsqChannel ch[kFsqMaxDims];
  for (int i = 0; i < d; ++i) ch[i] = fsq_channel(levels[i]);
  const long long count = static_cast<long long>(rows) * d;
#pragma omp parallel for if (count > 32768) schedule(static)
  for (long long at = 0; at < count; ++at) {
    dz[at] = static_cast<float>(dz_q[at] * fsq_slope(ch[at % d], z[at]));
  }
  return VQ4J_OK;
}

}  // namespace vq4j
