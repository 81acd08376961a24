// The CUDA side of index_check.h: ids, codes and targets in device memory checked against [0, k) before
// an op reads or writes through them, with the CPU reference's message.
#ifndef VQ4J_COMMON_INDEX_CHECK_CUDA_H
#define VQ4J_COMMON_INDEX_CHECK_CUDA_H

#include "context.h"

namespace vq4j {

// index[rows] (device memory) must lie in [0, k); flag is one int of device scratch the caller owns.
// A kernel records the first bad row (integer atomicMax of rows - r: the result does not depend on the
// order of the atomics), then one 4-byte device-to-host copy and a stream synchronisation bring it back;
// on failure a second 4-byte copy fetches the bad value for the message, which is the CPU's:
// "<name>[<row>] = <value> is outside [0, <k>)". Cost: one tiny launch and one host round trip per checked
// call (the synchronisation waits for the work queued before it), which is why the EMA, embedding,
// cross-entropy and codebook-gradient ops are not free of host stalls; nothing is written to the op's
// outputs before the check passes, as on the CPU.
int check_indices_cuda(vq4j_ctx* ctx, const char* name, const int* index, int rows, int k, int* flag);

}  // namespace vq4j

#endif
