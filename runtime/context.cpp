// The runtime's error recording and scratch workspace: what every kernel reports through and borrows from.
#include "context.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "memory.h"

namespace vq4j {

int fail(vq4j_ctx* ctx, int status, const char* file, int line, const char* fmt, ...) {
  if (ctx == nullptr) return status;
  char message[768];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(message, sizeof message, fmt, args);
  va_end(args);
  const char* base = std::strrchr(file, '/');
  std::snprintf(ctx->error, sizeof ctx->error, "%s (%s:%d)", message, base ? base + 1 : file, line);
  return status;
}

void* scratch(vq4j_ctx* ctx, size_t bytes) {
  if (bytes <= ctx->scratch_bytes) return ctx->scratch;
  if (ctx->scratch != nullptr && release(ctx, ctx->scratch) != VQ4J_OK) return nullptr;
  ctx->scratch = nullptr;
  ctx->scratch_bytes = 0;
  void* fresh = allocate(ctx, bytes);
  if (fresh == nullptr) return nullptr;
  ctx->scratch = fresh;
  ctx->scratch_bytes = bytes;
  return fresh;
}

}  // namespace vq4j
