// The rotation trick (Fifty et al. 2024, "Restructuring Vector Quantization with the Rotation Trick"): the
// gradient reaches z_e through the rotation and rescaling that maps z_e onto z_q, not a straight copy.
// Shapes: z_e, z_q, dz_q, dz_rot [rows, d]. The _cpu and _cuda variants share one signature; the C API has
// validated every argument.
#ifndef VQ4J_KERNELS_VQ_ROTATE_GRAD_H
#define VQ4J_KERNELS_VQ_ROTATE_GRAD_H

#include "context.h"

namespace vq4j {

// Per row, with e = z_e/|z_e|, q = z_q/|z_q|, r = (e + q)/|e + q| and lambda = |z_q|/|z_e|, the forward
// reads z_q as lambda R z_e with R = I - 2 r r^T + 2 q e^T held constant, so
//   dz_rot = lambda R^T dz_q = lambda (dz_q - 2 r (r.dz_q) + 2 e (q.dz_q)).
// A row with z_e = 0 or z_q = 0 has no rotation: dz_rot = dz_q. When e = -q (|e + q|^2 < 1e-12), r = 0,
// and R = I + 2 q e^T still maps e onto q. dz_rot may alias dz_q.
int vq_rotate_grad_cpu(vq4j_ctx* ctx, const float* z_e, const float* z_q, const float* dz_q, float* dz_rot,
                       int rows, int d);
int vq_rotate_grad_cuda(vq4j_ctx* ctx, const float* z_e, const float* z_q, const float* dz_q, float* dz_rot,
                        int rows, int d);

}  // namespace vq4j

#endif
