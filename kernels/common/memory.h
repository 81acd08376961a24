// Allocation in a context's memory: aligned host memory for the CPU, device memory for CUDA.
#ifndef VQ4J_COMMON_MEMORY_H
#define VQ4J_COMMON_MEMORY_H

#include <cstddef>

#include "context.h"

namespace vq4j {
// NULL after recording an error in ctx.
void* allocate(vq4j_ctx* ctx, size_t bytes);
int release(vq4j_ctx* ctx, void* ptr);

// The CUDA side of the memory API (native/src/cuda_runtime.cu); absent in a CPU-only build.
int cuda_open(vq4j_ctx* ctx);
void cuda_close(vq4j_ctx* ctx);
void* cuda_allocate(vq4j_ctx* ctx, size_t bytes);
int cuda_release(vq4j_ctx* ctx, void* ptr);
int cuda_memcpy(vq4j_ctx* ctx, void* dst, const void* src, size_t bytes, int kind);
int cuda_memset_zero(vq4j_ctx* ctx, void* ptr, size_t bytes);
int cuda_sync(vq4j_ctx* ctx);
int cuda_device_count();
}  // namespace vq4j

#endif
