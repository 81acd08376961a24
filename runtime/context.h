// The context every op receives, and the status helpers every kernel reports failures through. The runtime
// layer (this folder) sits below the kernels: kernels include its headers, it includes nothing of theirs.
// Internal: Java sees only the opaque vq4j_ctx of vq4j.h.
#ifndef VQ4J_RUNTIME_CONTEXT_H
#define VQ4J_RUNTIME_CONTEXT_H

#include <cstddef>

#include "vq4j.h"

namespace vq4j {

// Index checks a CUDA context may queue between two synchronisations (index_check_cuda.h); the one after
// that synchronises at the call instead.
constexpr int kIndexChecks = 1024;

// What a queued device check needs to word its error once its device slot comes back: an index check
// (columns = 0: index[rows] against [0, k)) or a finiteness check (x[rows, columns]).
struct IndexCheck {
  const char* op;    // the C API op without the vq4j_ prefix, a string literal
  const char* name;  // the checked array, a string literal
  int rows;
  int k;
  int columns;
};

// Pinned buffers that host-to-device copies go through (runtime/cuda_runtime.cu), so the copy can stay queued
// after vq4j_memcpy returns. A slot is reused only after its event says its previous copy is done.
constexpr int kStagingSlots = 4;

// A CPU context's oneDNN engine, stream and cached primitives (kernels/common/conv_dnnl.cpp), created on first
// use; opaque here, freed by vq4j_ctx_destroy through dnnl_release.
struct DnnlState;

struct StagingSlot {
  void* host = nullptr;  // cudaHostAlloc'd, grow-only
  size_t bytes = 0;
  void* done = nullptr;  // cudaEvent_t recorded after the slot's last copy
};

}  // namespace vq4j

struct vq4j_ctx {
  int device = -1;          // < 0: CPU; >= 0: CUDA ordinal
  int status = VQ4J_OK;     // non-zero when the context could not be opened
  void* stream = nullptr;   // cudaStream_t of a CUDA context
  void* scratch = nullptr;  // grow-only workspace in the context's memory
  size_t scratch_bytes = 0;
  bool inject_failure = false;
  bool cpu_reference = false;      // VQ4J_OPT_CPU_REFERENCE: the hand-written kernels instead of the fast paths
  vq4j::DnnlState* dnnl = nullptr;
  char error[1024] = {0};
  // Deferred index checks of a CUDA context: check i of the current window writes index_slots[i]
  // (device memory, kIndexChecks slots, zero when clean); index_checks[i] words its error.
  unsigned long long* index_slots = nullptr;
  vq4j::IndexCheck index_checks[vq4j::kIndexChecks] = {};
  int index_checks_used = 0;
  vq4j::StagingSlot staging[vq4j::kStagingSlots];
  int staging_next = 0;
};

namespace vq4j {

// Records "message (file:line)" as the context's last error and returns status.
int fail(vq4j_ctx* ctx, int status, const char* file, int line, const char* fmt, ...)
    __attribute__((format(printf, 5, 6)));

// A workspace of at least bytes in the context's memory, grown (never shrunk) on demand so that the
// steady state of a training loop allocates nothing. NULL after recording an error.
void* scratch(vq4j_ctx* ctx, size_t bytes);

}  // namespace vq4j

#define VQ4J_FAIL(ctx, status, ...) ::vq4j::fail((ctx), (status), __FILE__, __LINE__, __VA_ARGS__)

// Returns VQ4J_ERR_ARGUMENT with the message when cond does not hold.
#define VQ4J_REQUIRE(ctx, cond, ...)                                   \
  do {                                                                 \
    if (!(cond)) return VQ4J_FAIL((ctx), VQ4J_ERR_ARGUMENT, __VA_ARGS__); \
  } while (0)

// Propagates a non-zero status from a call that has already recorded its error.
#define VQ4J_TRY(expr)              \
  do {                              \
    int vq4j_status_ = (expr);      \
    if (vq4j_status_ != VQ4J_OK) return vq4j_status_; \
  } while (0)

#endif
