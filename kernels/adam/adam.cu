// CUDA Adam step, PyTorch's formulation: one thread per parameter in a grid-stride loop. The constants are
// formed on the host exactly as the CPU reference forms them, and each float operation is spelled with a
// round-to-nearest intrinsic so that nvcc cannot contract a * b + c into an fma: the step is then the CPU
// reference's, operation for operation, and gives the same bits.
#include <cmath>

#include "adam.h"
#include "cuda_check.cuh"
#include "cuda_launch.cuh"

namespace vq4j {
namespace {

struct AdamConstants {
  float step_size, bias_correction2_sqrt, b1, b2, one_minus_b1, one_minus_b2, wd, eps, shrink;
};

// param[count], grad[count], m[count], v[count]; param, m, v updated in place.
__global__ void adam_kernel(float* __restrict__ param, const float* __restrict__ grad, float* __restrict__ m,
                            float* __restrict__ v, long long count, AdamConstants k) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const float p = __fmul_rn(param[i], k.shrink);
    const float g = __fadd_rn(grad[i], __fmul_rn(k.wd, p));
    const float mi = __fadd_rn(__fmul_rn(k.b1, m[i]), __fmul_rn(k.one_minus_b1, g));
    const float vi = __fadd_rn(__fmul_rn(k.b2, v[i]), __fmul_rn(__fmul_rn(k.one_minus_b2, g), g));
    m[i] = mi;
    v[i] = vi;
    const float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(vi), k.bias_correction2_sqrt), k.eps);
    param[i] = __fsub_rn(p, __fdiv_rn(__fmul_rn(k.step_size, mi), denom));
  }
}

// m[rows, width], v[rows, width], mask[rows]: one thread per element.
__global__ void reset_rows_kernel(float* __restrict__ m, float* __restrict__ v, const int* __restrict__ mask,
                                  long long count, int width) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    if (mask[i / width] != 0) {
      m[i] = 0.0f;
      v[i] = 0.0f;
    }
  }
}

}  // namespace

int adam_step_cuda(vq4j_ctx* ctx, float* param, const float* grad, float* m, float* v, long long count,
                   double lr, double beta1, double beta2, double eps, double weight_decay, int t, int decoupled) {
  if (count == 0) return VQ4J_OK;  // a zero-block grid is an invalid launch
  // As adam_cpu.cpp: hyper-parameters and derived constants in double, each rounded to float once.
  const double bias_correction1 = 1.0 - std::pow(beta1, t);
  const double bias_correction2 = 1.0 - std::pow(beta2, t);
  AdamConstants k;
  k.step_size = static_cast<float>(lr / bias_correction1);
  k.bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
  k.b1 = static_cast<float>(beta1);
  k.b2 = static_cast<float>(beta2);
  k.one_minus_b1 = static_cast<float>(1.0 - beta1);
  k.one_minus_b2 = static_cast<float>(1.0 - beta2);
  k.shrink = decoupled ? static_cast<float>(1.0 - lr * weight_decay) : 1.0f;
  k.wd = decoupled ? 0.0f : static_cast<float>(weight_decay);
  k.eps = static_cast<float>(eps);
  adam_kernel<<<grid_for(count), kBlockThreads, 0, stream_of(ctx)>>>(param, grad, m, v, count, k);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "adam_kernel");
  return VQ4J_OK;
}

int adam_reset_rows_cuda(vq4j_ctx* ctx, float* m, float* v, const int* mask, int rows, int width) {
  const long long count = static_cast<long long>(rows) * width;
  if (count == 0) return VQ4J_OK;
  reset_rows_kernel<<<grid_for(count), kBlockThreads, 0, stream_of(ctx)>>>(m, v, mask, count, width);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "reset_rows_kernel");
  return VQ4J_OK;
}

}  // namespace vq4j
