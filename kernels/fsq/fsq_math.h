// The per-channel FSQ arithmetic, shared by the CPU reference and the CUDA kernels so that both round the
// same doubles: in a .cu file these are host+device functions.
#ifndef VQ4J_KERNELS_FSQ_MATH_H
#define VQ4J_KERNELS_FSQ_MATH_H

#include <cmath>

#ifdef __CUDACC__
#define VQ4J_FSQ_FN __host__ __device__ inline
#else
#define VQ4J_FSQ_FN inline
#endif

namespace vq4j {

// One channel's constants for L levels.
struct FsqChannel {
  double half_l;  // (L - 1)(1 + 1e-3) / 2: the bound's half range, a little over the outer levels
  double offset;  // 0.5 for even L, which has no level at 0
  double shift;   // atanh(offset / half_l)
  int half_width; // L / 2
};

VQ4J_FSQ_FN FsqChannel fsq_channel(int levels) {
  FsqChannel c;
  c.half_l = (levels - 1) * (1 + 1e-3) / 2;
  c.offset = levels % 2 == 0 ? 0.5 : 0.0;
  c.shift = atanh(c.offset / c.half_l);
  c.half_width = levels / 2;
  return c;
}

// The digit 0..L-1 of z.
VQ4J_FSQ_FN int fsq_digit(const FsqChannel& c, float z) {
  return static_cast<int>(nearbyint(tanh(static_cast<double>(z) + c.shift) * c.half_l - c.offset)) + c.half_width;
}

// d z_q / d z through the bound (straight through the rounding).
VQ4J_FSQ_FN double fsq_slope(const FsqChannel& c, float z) {
  const double t = tanh(static_cast<double>(z) + c.shift);
  return c.half_l * (1 - t * t) / c.half_width;
}

}  // namespace vq4j

#endif
