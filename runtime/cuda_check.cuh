// CUDA error checks for kernels: they record the failing call and cudaGetErrorString in the context and
// return a status; they never exit (that would kill the JVM).
#ifndef VQ4J_RUNTIME_CUDA_CHECK_CUH
#define VQ4J_RUNTIME_CUDA_CHECK_CUH

#include <cuda_runtime.h>

#include "context.h"

#define VQ4J_CUDA_CHECK(ctx, call)                                                          \
  do {                                                                                      \
    cudaError_t vq4j_err_ = (call);                                                         \
    if (vq4j_err_ != cudaSuccess)                                                           \
      return VQ4J_FAIL((ctx), VQ4J_ERR_CUDA, "%s: %s", #call, cudaGetErrorString(vq4j_err_)); \
  } while (0)

// After a launch: reports a bad configuration at once (execution errors surface at the next sync).
#define VQ4J_CUDA_CHECK_LAUNCH(ctx, kernel_name) VQ4J_CUDA_CHECK((ctx), cudaGetLastError())

namespace vq4j {
inline cudaStream_t stream_of(const vq4j_ctx* ctx) { return static_cast<cudaStream_t>(ctx->stream); }
}  // namespace vq4j

#endif
