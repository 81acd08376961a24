// One Adam step in PyTorch's formulation: g = grad + weight_decay * param; m = b1 m + (1 - b1) g;
// v = b2 v + (1 - b2) g^2; param -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
// With decoupled != 0 it is AdamW's step instead (torch.optim.AdamW): the decay leaves the gradient
// (g = grad) and shrinks the parameter first, param *= 1 - lr * weight_decay.
// Shapes: param, grad, m, v all [count]. t >= 1 is the step number after this step.
// The _cpu and _cuda variants share one signature; the C API has validated every argument.
#ifndef VQ4J_KERNELS_ADAM_H
#define VQ4J_KERNELS_ADAM_H

#include "context.h"

namespace vq4j {

int adam_step_cpu(vq4j_ctx* ctx, float* param, const float* grad, float* m, float* v, long long count,
                  double lr, double beta1, double beta2, double eps, double weight_decay, int t, int decoupled);
int adam_step_cuda(vq4j_ctx* ctx, float* param, const float* grad, float* m, float* v, long long count,
                   double lr, double beta1, double beta2, double eps, double weight_decay, int t, int decoupled);

// Forgets the moments of the rows of a [rows, width] parameter whose mask is non-zero (m = v = 0 there), as
// for a codebook row just restarted: its old moments belong to a vector that is gone. mask[rows].
int adam_reset_rows_cpu(vq4j_ctx* ctx, float* m, float* v, const int* mask, int rows, int width);
int adam_reset_rows_cuda(vq4j_ctx* ctx, float* m, float* v, const int* mask, int rows, int width);

}  // namespace vq4j

#endif
