// Finite scalar quantization (Mentzer et al. 2023, "Finite Scalar Quantization: VQ-VAE Made Simple"): each
// of the d channels is bounded and rounded to its own number of levels; the code is the mixed-radix number
// of the per-channel digits, so prod(levels) codes need no codebook. Shapes: z, z_q, dz_q, dz [rows, d],
// codes [rows]; levels[d] is host memory. The _cpu and _cuda variants share one signature; the C API has
// validated every argument.
#ifndef VQ4J_KERNELS_FSQ_H
#define VQ4J_KERNELS_FSQ_H

#include "context.h"

namespace vq4j {

// The most channels one FSQ quantizer has (the paper's largest configuration has 8).
constexpr int kFsqMaxDims = 16;

// Per channel i with L = levels[i]: half_l = (L - 1)(1 + 1e-3)/2, offset = 0.5 for even L else 0,
// shift = atanh(offset / half_l) (so that z = 0 bounds to 0), bound(z) = tanh(z + shift) half_l - offset,
// digit = round(bound(z)) + L/2 (integer division; round half to even), z_q = (digit - L/2) / (L/2) in
// [-1, 1], codes[r] = sum_i digit_i prod_{j < i} L_j.
int fsq_fwd_cpu(vq4j_ctx* ctx, const float* z, const int* levels, int* codes, float* z_q, int rows, int d);
int fsq_fwd_cuda(vq4j_ctx* ctx, const float* z, const int* levels, int* codes, float* z_q, int rows, int d);
// Straight through the rounding: dz = dz_q half_l (1 - tanh^2(z + shift)) / (L/2).
int fsq_bwd_cpu(vq4j_ctx* ctx, const float* z, const int* levels, const float* dz_q, float* dz, int rows, int d);
int fsq_bwd_cuda(vq4j_ctx* ctx, const float* z, const int* levels, const float* dz_q, float* dz, int rows,
                 int d);

}  // namespace vq4j

#endif
