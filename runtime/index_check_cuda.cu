// Deferred index range and finiteness checks on the device: one slot per check, read back at the next
// synchronisation.
#include "index_check_cuda.h"

#include "cuda_check.cuh"
#include "cuda_launch.cuh"

namespace vq4j {
namespace {

// slot = max over bad rows r of ((rows - r) << 32 | value): the maximum is the lowest bad row, whatever
// the order of the atomics, and its value travels with it; 0 when every index is in range.
__global__ void find_bad_index(const int* __restrict__ index, int rows, int k,
                               unsigned long long* __restrict__ slot) {
  for (long long r = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; r < rows;
       r += static_cast<long long>(gridDim.x) * blockDim.x) {
    const int v = index[r];
    if (v < 0 || v >= k)
      atomicMax(slot, (static_cast<unsigned long long>(rows - r) << 32) | static_cast<unsigned>(v));
  }
}

// slot = max over non-finite x[r, c] of ((rows - r) << 32 | (columns - c) << 2 | kind): the lowest row,
// then its lowest column, whatever the order of the atomics; kind 1 = NaN, 2 = +inf, 3 = -inf.
__global__ void find_non_finite(const float* __restrict__ x, int rows, int columns,
                                unsigned long long* __restrict__ slot) {
  const long long n = static_cast<long long>(rows) * columns;
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const float v = x[i];
    if (isfinite(v)) continue;
    const long long r = i / columns, c = i % columns;
    const unsigned kind = isnan(v) ? 1u : v > 0 ? 2u : 3u;
    atomicMax(slot, (static_cast<unsigned long long>(rows - r) << 32) |
                        (static_cast<unsigned long long>(columns - c) << 2) | kind);
  }
}

// Queues one check into the next slot of the window.
template <class Launch>
int queue_check(vq4j_ctx* ctx, IndexCheck check, const unsigned long long** verdict, Launch launch) {
  if (ctx->index_checks_used == kIndexChecks) VQ4J_TRY(sync_and_report_indices(ctx));
  const int i = ctx->index_checks_used;
  unsigned long long* slot = ctx->index_slots + i;
  launch(slot);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, check.columns == 0 ? "find_bad_index" : "find_non_finite");
  ctx->index_checks[i] = check;
  ctx->index_checks_used = i + 1;
  if (verdict != nullptr) *verdict = slot;
  return VQ4J_OK;
}

}  // namespace

int open_index_checks(vq4j_ctx* ctx) {
  void* slots = nullptr;
  VQ4J_CUDA_CHECK(ctx, cudaMalloc(&slots, sizeof(unsigned long long) * kIndexChecks));
  ctx->index_slots = static_cast<unsigned long long*>(slots);
  VQ4J_CUDA_CHECK(ctx, cudaMemsetAsync(slots, 0, sizeof(unsigned long long) * kIndexChecks, stream_of(ctx)));
  return VQ4J_OK;
}

void close_index_checks(vq4j_ctx* ctx) {
  cudaFree(ctx->index_slots);
  ctx->index_slots = nullptr;
  ctx->index_checks_used = 0;
}

int check_indices_cuda(vq4j_ctx* ctx, const char* op, const char* name, const int* index, int rows, int k,
                       const unsigned long long** verdict) {
  return queue_check(ctx, IndexCheck{op, name, rows, k, 0}, verdict, [&](unsigned long long* slot) {
    find_bad_index<<<grid_for(rows), kBlockThreads, 0, stream_of(ctx)>>>(index, rows, k, slot);
  });
}

int check_finite_cuda(vq4j_ctx* ctx, const char* op, const char* name, const float* x, int rows, int columns) {
  VQ4J_REQUIRE(ctx, columns > 0 && columns < (1 << 29), "vq4j_%s: %s has %d columns, outside [1, 2^29)", op, name,
               columns);
  return queue_check(ctx, IndexCheck{op, name, rows, 0, columns}, nullptr, [&](unsigned long long* slot) {
    find_non_finite<<<grid_for(static_cast<long long>(rows) * columns), kBlockThreads, 0, stream_of(ctx)>>>(
        x, rows, columns, slot);
  });
}

int sync_and_report_indices(vq4j_ctx* ctx) {
  const cudaStream_t stream = stream_of(ctx);
  const int used = ctx->index_checks_used;
  // The window closes even if a CUDA call below fails: its descriptors must not word a later error.
  ctx->index_checks_used = 0;
  if (used == 0) {
    VQ4J_CUDA_CHECK(ctx, cudaStreamSynchronize(stream));
    return VQ4J_OK;
  }
  unsigned long long found[kIndexChecks];
  const size_t bytes = sizeof(unsigned long long) * static_cast<size_t>(used);
  VQ4J_CUDA_CHECK(ctx, cudaMemcpyAsync(found, ctx->index_slots, bytes, cudaMemcpyDeviceToHost, stream));
  VQ4J_CUDA_CHECK(ctx, cudaMemsetAsync(ctx->index_slots, 0, bytes, stream));
  VQ4J_CUDA_CHECK(ctx, cudaStreamSynchronize(stream));
  for (int i = 0; i < used; ++i) {
    if (found[i] == 0) continue;
    const IndexCheck& c = ctx->index_checks[i];
    const int row = c.rows - static_cast<int>(found[i] >> 32);
    const unsigned low = static_cast<unsigned>(found[i]);
    if (c.columns > 0) {
      static const char* kinds[] = {"?", "nan", "inf", "-inf"};
      return VQ4J_FAIL(ctx, VQ4J_ERR_NONFINITE,
                       "vq4j_%s: %s row %d holds a non-finite value (%s at column %d) (found on the device, "
                       "reported at this synchronisation)",
                       c.op, c.name, row, kinds[low & 3u], c.columns - static_cast<int>(low >> 2));
    }
    const int value = static_cast<int>(low);
    return VQ4J_FAIL(ctx, VQ4J_ERR_ARGUMENT,
                     "vq4j_%s: %s[%d] = %d is outside [0, %d) (found on the device, reported at this "
                     "synchronisation)",
                     c.op, c.name, row, value, c.k);
  }
  return VQ4J_OK;
}

}  // namespace vq4j
