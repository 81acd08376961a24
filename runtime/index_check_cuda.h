// The CUDA side of index_check.h: ids, codes and targets in device memory checked against [0, k), and the
// quantizer's latents checked for non-finite values, with the CPU reference's message, but without a host
// round trip per call.
//
// A checked call queues one small kernel that records its first bad row in a device slot of the context
// and returns at once; the op's own kernels run anyway. The slots come back to the host at the next
// synchronisation of the context (vq4j_sync, or a device-to-host vq4j_memcpy, which wait for the stream
// anyway), in one copy for all the checks queued since the last one, and the first failed check in call
// order becomes that call's VQ4J_ERR_ARGUMENT:
//   "vq4j_<op>: <name>[<row>] = <value> is outside [0, <k>) (found on the device, reported at this
//   synchronisation)"
// whose middle is the CPU's message word for word. Later failures of the same window are dropped, and the
// slots are clean again for the next window whether or not one failed.
//
// Because the op runs before anyone knows, its kernels must never read or write through a bad index:
// each guards the index where it addresses memory and gives the offending row zeros (embedding rows,
// cross-entropy terms and gradient rows) or leaves the row out (code counts, per-code sums); the EMA
// update, whose state persists, reads the check's verdict and changes nothing, as on the CPU.
//
// After kIndexChecks checks without a synchronisation the next check synchronises at the call (and may
// report an earlier op's failure there): a rare round trip, taken instead of growing the slot array under
// kernels that may still be writing it.
#ifndef VQ4J_RUNTIME_INDEX_CHECK_CUDA_H
#define VQ4J_RUNTIME_INDEX_CHECK_CUDA_H

#include "context.h"

namespace vq4j {

// Queues the check of index[rows] (device memory) against [0, k) for op (the C API name without vq4j_).
// verdict, when given, receives the check's device slot: zero once the check has run and found nothing.
int check_indices_cuda(vq4j_ctx* ctx, const char* op, const char* name, const int* index, int rows, int k,
                       const unsigned long long** verdict = nullptr);

// Queues the check that x[rows, columns] (device memory) holds only finite values, for op, in the same
// window: the first non-finite element in row order becomes, at the next synchronisation,
//   "vq4j_<op>: <name> row <r> holds a non-finite value (<nan|inf|-inf> at column <c>) (found on the
//   device, reported at this synchronisation)"
// (the CPU reference's message in the middle, as for the index checks) with the CPU's status,
// VQ4J_ERR_NONFINITE (the index checks report VQ4J_ERR_ARGUMENT). columns < 2^29.
int check_finite_cuda(vq4j_ctx* ctx, const char* op, const char* name, const float* x, int rows, int columns);

// Synchronises the context's stream and reports the first failed check queued since the last report.
int sync_and_report_indices(vq4j_ctx* ctx);

// The slot array, allocated once when a CUDA context opens and freed when it closes.
int open_index_checks(vq4j_ctx* ctx);
void close_index_checks(vq4j_ctx* ctx);

}  // namespace vq4j

#endif
