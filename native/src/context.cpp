// The context half of the C API: opening and closing contexts over the runtime layer (runtime/).
#include <new>

#include "context.h"
#include "conv_dnnl.h"
#include "memory.h"

extern "C" {

const char* vq4j_version(void) { return VQ4J_VERSION; }

int vq4j_cuda_built(void) {
#ifdef VQ4J_WITH_CUDA
  return 1;
#else
  return 0;
#endif
}

int vq4j_cuda_device_count(void) {
#ifdef VQ4J_WITH_CUDA
  return vq4j::cuda_device_count();
#else
  return 0;
#endif
}

vq4j_ctx* vq4j_ctx_create(int device) {
  vq4j_ctx* ctx = new (std::nothrow) vq4j_ctx();
  if (ctx == nullptr) return nullptr;
  ctx->device = device < 0 ? -1 : device;
  if (ctx->device >= 0) {
#ifdef VQ4J_WITH_CUDA
    ctx->status = vq4j::cuda_open(ctx);
#else
    ctx->status = VQ4J_FAIL(ctx, VQ4J_ERR_UNSUPPORTED,
                            "CUDA device %d requested, but this vq4j library was built without CUDA",
                            device);
#endif
  }
  return ctx;
}

int vq4j_ctx_status(const vq4j_ctx* ctx) { return ctx == nullptr ? VQ4J_ERR_ARGUMENT : ctx->status; }

int vq4j_ctx_device(const vq4j_ctx* ctx) { return ctx == nullptr ? -1 : ctx->device; }

void vq4j_ctx_destroy(vq4j_ctx* ctx) {
  if (ctx == nullptr) return;
  vq4j::release(ctx, ctx->scratch);
  vq4j::dnnl_release(ctx);
#ifdef VQ4J_WITH_CUDA
  if (ctx->device >= 0) vq4j::cuda_close(ctx);
#endif
  delete ctx;
}

const char* vq4j_last_error(const vq4j_ctx* ctx) {
  return ctx == nullptr ? "null vq4j context" : ctx->error;
}

int vq4j_ctx_set_option(vq4j_ctx* ctx, int option, int value) {
  if (ctx == nullptr) return VQ4J_ERR_ARGUMENT;
  ctx->error[0] = '\0';
  switch (option) {
    case VQ4J_OPT_CPU_REFERENCE:
      VQ4J_REQUIRE(ctx, value == 0 || value == 1,
                   "vq4j_ctx_set_option: VQ4J_OPT_CPU_REFERENCE takes 0 or 1, got %d", value);
      ctx->cpu_reference = value == 1;
      return VQ4J_OK;
    default:
      return VQ4J_FAIL(ctx, VQ4J_ERR_ARGUMENT, "vq4j_ctx_set_option: unknown option %d", option);
  }
}

int vq4j_ctx_get_option(const vq4j_ctx* ctx, int option) {
  if (ctx == nullptr) return -1;
  return option == VQ4J_OPT_CPU_REFERENCE ? ctx->cpu_reference : -1;
}

void vq4j_ctx_inject_failure(vq4j_ctx* ctx) {
  if (ctx != nullptr) ctx->inject_failure = true;
}

}  // extern "C"
