// What native/src/comm.cpp needs from the backends: the Gloo library (opened with dlopen) and, in a CUDA
// build, the NCCL communicator (nccl_comm.cu, itself over a dlopen'd libnccl.so.2).
#ifndef VQ4J_COMM_BACKENDS_H
#define VQ4J_COMM_BACKENDS_H

#include <cstddef>
#include <string>

#include "gloo_api.h"
#include "vq4j.h"

namespace vq4j {

// libvq4j_gloo.so's table, opened once (beside libvq4j.so first, then by name); NULL with *why set
// when it (or libgloo.so.0 under it) is missing.
const vq4j_gloo_api* gloo_api(std::string* why);

struct NcclComm;
// A communicator over all ranks of gloo's group on the context's device and stream; rank 0's unique id
// travels through gloo's store. Collectives are queued on the stream and then waited for within
// timeout_ms (a dead peer leaves NCCL's kernels spinning; the wait aborts the communicator instead).
NcclComm* nccl_open(vq4j_ctx* ctx, int rank, int world_size, const vq4j_gloo_api* api, vq4j_gloo* gloo,
                    int timeout_ms, char* error, size_t error_bytes);
int nccl_all_reduce(NcclComm* c, float* data, size_t count, bool average, char* error, size_t error_bytes);
// Queued on the communicator's side stream after the work queued on the context's stream so far; returns
// at once. nccl_wait orders the context's stream after the started all-reduces and waits for them within
// the timeout. The other collectives call it first: NCCL needs one communicator's collectives in one order on
// every rank, which two streams running at once would not keep.
int nccl_all_reduce_start(NcclComm* c, float* data, size_t count, bool average, char* error, size_t error_bytes);
int nccl_wait(NcclComm* c, char* error, size_t error_bytes);
int nccl_broadcast(NcclComm* c, void* data, size_t bytes, int root, char* error, size_t error_bytes);
int nccl_all_gather(NcclComm* c, const void* send, void* recv, size_t bytes_per_rank, char* error,
                    size_t error_bytes);
void nccl_close(NcclComm* c);

}  // namespace vq4j

#endif
