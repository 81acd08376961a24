// Allocation in a context's memory: aligned host memory for a CPU context, device memory for a CUDA one.
#include "memory.h"

#include <cstdlib>

namespace vq4j {

void* allocate(vq4j_ctx* ctx, size_t bytes) {
  if (bytes == 0) bytes = 1;  // a zero-element tensor still gets a distinct, freeable pointer
#ifdef VQ4J_WITH_CUDA
  if (ctx->device >= 0) return cuda_allocate(ctx, bytes);
#endif
  size_t rounded = (bytes + 63) / 64 * 64;  // aligned_alloc wants a multiple of the alignment
  void* p = std::aligned_alloc(64, rounded);
  if (p == nullptr) VQ4J_FAIL(ctx, VQ4J_ERR_MEMORY, "cannot allocate %zu bytes of host memory", bytes);
  return p;
}

int release([[maybe_unused]] vq4j_ctx* ctx, void* ptr) {
  if (ptr == nullptr) return VQ4J_OK;
#ifdef VQ4J_WITH_CUDA
  if (ctx->device >= 0) return cuda_release(ctx, ptr);
#endif
  std::free(ptr);
  return VQ4J_OK;
}

}  // namespace vq4j
