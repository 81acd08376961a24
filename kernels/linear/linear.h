// Linear layer in PyTorch's layout: y[rows, out] = x[rows, in] w[out, in]^T + b[out] (b may be NULL).
// Backward: dx[rows, in] = dy w; dw[out, in] = dy^T x and db[out] = column sums of dy (db may be NULL);
// both overwrite. Matrix products go through the library's GEMMs: OpenBLAS on the CPU, and on CUDA the
// implicit-GEMM engine of the convolutions (conv_gemm.cuh) as a 1x1 conv over rows images of 1x1 pixels.
// The _cpu and _cuda variants share one signature; the C API has validated every argument.
#ifndef VQ4J_KERNELS_LINEAR_H
#define VQ4J_KERNELS_LINEAR_H

#include "context.h"

namespace vq4j {

int linear_fwd_cpu(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y, int rows, int in,
                   int out);
int linear_bwd_data_cpu(vq4j_ctx* ctx, const float* dy, const float* w, float* dx, int rows, int in, int out);
int linear_bwd_weight_cpu(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db, int rows,
                          int in, int out);
int linear_fwd_cuda(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y, int rows, int in,
                    int out);
int linear_bwd_data_cuda(vq4j_ctx* ctx, const float* dy, const float* w, float* dx, int rows, int in,
                         int out);
int linear_bwd_weight_cuda(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db, int rows,
                           int in, int out);

}  // namespace vq4j

#endif
