// exp, tanh and the logistic sigmoid for the CPU ops' elementwise loops, written so that GCC vectorises the
// loops that call them (glibc's expf/tanhf are opaque calls, one element at a time): straight-line float
// arithmetic, selects instead of branches, the 2^n scale made by integer arithmetic on the exponent bits.
// Cephes' minimax polynomials: exp within 2 ulp on its range, tanh within 2 ulp up to |x| ~ 9 and exactly
// +-1 beyond, the sigmoid within a few ulp of 1 / (1 + exp(-x)). Every backend's results are compared with a
// tolerance (the CUDA ops use the device's expf/tanhf), so these need to be accurate, not bit-identical.
#ifndef VQ4J_COMMON_VEC_MATH_CPU_H
#define VQ4J_COMMON_VEC_MATH_CPU_H

#include <cstdint>
#include <cstring>

namespace vq4j {

// e^x for x in float range; below -87.3 it returns e^-87.3 ~ 1.2e-38 (not a denormal: the callers add it to
// 1 or divide it by a sum of such terms, where the difference is far below one ulp).
inline float vexp(float x) {
  x = x > 88.3762626647949f ? 88.3762626647949f : x;
  x = x < -87.3365478515625f ? -87.3365478515625f : x;
  // n = round(x / ln 2) by the 1.5 * 2^23 trick (round to nearest, no libm call); r = x - n ln 2 in two parts.
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = x - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return e * scale;
}

// tanh(x): an odd polynomial for |x| < 0.625, where 1 - 2 / (e^2|x| + 1) would cancel, that form above.
inline float vtanh(float x) {
  const float ax = x < 0.0f ? -x : x;
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = x + x * z * p;
  const float big = 1.0f - 2.0f / (vexp(2.0f * ax) + 1.0f);
  return ax < 0.625f ? small : (x < 0.0f ? -big : big);
}

// 1 / (1 + e^-x), from e^-|x| so that no exp overflows and a large |x| never gives inf / inf.
inline float vsigmoid(float x) {
  const float e = vexp(x < 0.0f ? x : -x);
  const float s = 1.0f / (1.0f + e);
  return x >= 0.0f ? s : e * s;
}

}  // namespace vq4j

#endif
