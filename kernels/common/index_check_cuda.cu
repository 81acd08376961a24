// Index range check on the device: one flag, one read-back, the CPU reference's message.
#include "index_check_cuda.h"

#include "cuda_check.cuh"
#include "cuda_launch.cuh"

namespace vq4j {
namespace {

// flag = max over bad rows r of (rows - r), i.e. rows - (first bad row); 0 when every index is in range.
__global__ void find_bad_index(const int* __restrict__ index, int rows, int k, int* __restrict__ flag) {
  for (long long r = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; r < rows;
       r += static_cast<long long>(gridDim.x) * blockDim.x) {
    const int v = index[r];
    if (v < 0 || v >= k) atomicMax(flag, rows - static_cast<int>(r));
  }
}

}  // namespace

int check_indices_cuda(vq4j_ctx* ctx, const char* name, const int* index, int rows, int k, int* flag) {
  const cudaStream_t stream = stream_of(ctx);
  VQ4J_CUDA_CHECK(ctx, cudaMemsetAsync(flag, 0, sizeof(int), stream));
  find_bad_index<<<grid_for(rows), kBlockThreads, 0, stream>>>(index, rows, k, flag);
  VQ4J_CUDA_CHECK_LAUNCH(ctx, "find_bad_index");
  int found = 0;
  VQ4J_CUDA_CHECK(ctx, cudaMemcpyAsync(&found, flag, sizeof(int), cudaMemcpyDeviceToHost, stream));
  VQ4J_CUDA_CHECK(ctx, cudaStreamSynchronize(stream));
  if (found == 0) return VQ4J_OK;
  const int r = rows - found;
  int value = 0;
  VQ4J_CUDA_CHECK(ctx, cudaMemcpyAsync(&value, index + r, sizeof(int), cudaMemcpyDeviceToHost, stream));
  VQ4J_CUDA_CHECK(ctx, cudaStreamSynchronize(stream));
  return VQ4J_FAIL(ctx, VQ4J_ERR_ARGUMENT, "%s[%d] = %d is outside [0, %d)", name, r, value, k);
}

}  // namespace vq4j
