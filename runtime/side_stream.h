// A second stream on a context's device, ordered against the context's stream by events, for work that
// overlaps the context's ops: the gradient all-reduces of data-parallel training run on one while the rest
// of the backward runs on the context's stream (comm/nccl_comm.cu). Neither ordering call blocks the host.
#ifndef VQ4J_RUNTIME_SIDE_STREAM_H
#define VQ4J_RUNTIME_SIDE_STREAM_H

#include <cuda_runtime.h>

#include "context.h"

namespace vq4j {

struct SideStream {
  cudaStream_t stream = nullptr;
  cudaEvent_t forked = nullptr;  // recorded on the context's stream by each fork
  cudaEvent_t joined = nullptr;  // recorded on the side stream by each join
};

// On the context's device, which it makes current. On failure, what it had created is freed.
cudaError_t side_stream_open(const vq4j_ctx* ctx, SideStream* s);
// Work queued on the side stream from now on starts after everything queued on the context's stream so far.
cudaError_t side_stream_fork(const vq4j_ctx* ctx, SideStream* s);
// Work queued on the context's stream from now on starts after everything queued on the side stream so far.
cudaError_t side_stream_join(const vq4j_ctx* ctx, SideStream* s);
// cudaSuccess once what the side stream held at the last join has run, cudaErrorNotReady until then.
cudaError_t side_stream_joined(const SideStream* s);
// Waits for the side stream's work, then frees it (errors are dropped: nothing to report at close).
void side_stream_close(SideStream* s);

}  // namespace vq4j

#endif
