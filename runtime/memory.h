// The runtime's memory and device layer: allocation in a context's memory (aligned host memory for the
// CPU, device memory for CUDA) and the CUDA side of contexts, copies and device selection.
#ifndef VQ4J_RUNTIME_MEMORY_H
#define VQ4J_RUNTIME_MEMORY_H

#include <cstddef>

#include "context.h"

namespace vq4j {
// NULL after recording an error in ctx.
void* allocate(vq4j_ctx* ctx, size_t bytes);
int release(vq4j_ctx* ctx, void* ptr);

// The CUDA side of the memory API (runtime/cuda_runtime.cu); absent in a CPU-only build.
int cuda_open(vq4j_ctx* ctx);
// Makes the context's device current for this host thread: kernels launch on the current device, and the
// context's stream belongs to ctx->device. The C API's dispatch calls it once before every op of a CUDA
// context, so no launcher selects a device itself. Cheap when it already is current.
int use_device(vq4j_ctx* ctx);
void cuda_close(vq4j_ctx* ctx);
void* cuda_allocate(vq4j_ctx* ctx, size_t bytes);
int cuda_release(vq4j_ctx* ctx, void* ptr);
int cuda_memcpy(vq4j_ctx* ctx, void* dst, const void* src, size_t bytes, int kind);
int cuda_memset_zero(vq4j_ctx* ctx, void* ptr, size_t bytes);
int cuda_sync(vq4j_ctx* ctx);
int cuda_device_count();
}  // namespace vq4j

#endif
