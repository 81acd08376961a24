// The memory half of the C API: host memory for a CPU context, device memory for a CUDA one, through the
// runtime layer (runtime/memory.h).
#include <cstring>

#include "context.h"
#include "memory.h"

extern "C" {

void* vq4j_malloc(vq4j_ctx* ctx, size_t bytes) {
  if (ctx == nullptr) return nullptr;
  return vq4j::allocate(ctx, bytes);
}

int vq4j_free(vq4j_ctx* ctx, void* ptr) {
  if (ctx == nullptr) return VQ4J_ERR_ARGUMENT;
  return vq4j::release(ctx, ptr);
}

int vq4j_memcpy(vq4j_ctx* ctx, void* dst, const void* src, size_t bytes, int kind) {
  if (ctx == nullptr) return VQ4J_ERR_ARGUMENT;
  VQ4J_REQUIRE(ctx, bytes == 0 || (dst != nullptr && src != nullptr), "memcpy: null pointer");
  VQ4J_REQUIRE(ctx, kind >= VQ4J_COPY_HOST_TO_DEVICE && kind <= VQ4J_COPY_DEVICE_TO_DEVICE,
               "memcpy: unknown copy kind %d", kind);
  if (bytes == 0) return VQ4J_OK;
#ifdef VQ4J_WITH_CUDA
  if (ctx->device >= 0) return vq4j::cuda_memcpy(ctx, dst, src, bytes, kind);
#endif
  std::memmove(dst, src, bytes);
  return VQ4J_OK;
}

int vq4j_memset_zero(vq4j_ctx* ctx, void* ptr, size_t bytes) {
  if (ctx == nullptr) return VQ4J_ERR_ARGUMENT;
  VQ4J_REQUIRE(ctx, bytes == 0 || ptr != nullptr, "memset_zero: null pointer");
  if (bytes == 0) return VQ4J_OK;
#ifdef VQ4J_WITH_CUDA
  if (ctx->device >= 0) return vq4j::cuda_memset_zero(ctx, ptr, bytes);
#endif
  std::memset(ptr, 0, bytes);
  return VQ4J_OK;
}

int vq4j_sync(vq4j_ctx* ctx) {
  if (ctx == nullptr) return VQ4J_ERR_ARGUMENT;
#ifdef VQ4J_WITH_CUDA
  if (ctx->device >= 0) return vq4j::cuda_sync(ctx);
#endif
  return VQ4J_OK;
}

}  // extern "C"
