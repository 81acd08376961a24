// Embedding lookup. Shapes: table[k, d], ids[rows] int32 in [0, k), y[rows, d], dy[rows, d], dtable[k, d].
// An id outside [0, k) is an argument error.
// The _cpu and _cuda variants share one signature; the C API has validated every argument.
#ifndef VQ4J_KERNELS_EMBEDDING_H
#define VQ4J_KERNELS_EMBEDDING_H

#include "context.h"

namespace vq4j {

int embedding_fwd_cpu(vq4j_ctx* ctx, const float* table, const int* ids, float* y, int rows, int d, int k);
// dtable[j] = sum_{r: ids[r] = j} dy[r], summed in row order (deterministic).
int embedding_bwd_cpu(vq4j_ctx* ctx, const int* ids, const float* dy, float* dtable, int rows, int d,
                      int k);
int embedding_fwd_cuda(vq4j_ctx* ctx, const float* table, const int* ids, float* y, int rows, int d, int k);
int embedding_bwd_cuda(vq4j_ctx* ctx, const int* ids, const float* dy, float* dtable, int rows, int d,
                       int k);

}  // namespace vq4j

#endif
