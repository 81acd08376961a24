// Launch helpers shared by the CUDA kernels of the op families: grid sizes for grid-stride loops, and
// carving one scratch allocation into aligned workspaces. The device is already current when a launcher
// runs: the C API's dispatch selects it once per op (memory.h: use_device).
// Internal to the .cu files; the CPU build never sees it.
#ifndef VQ4J_RUNTIME_CUDA_LAUNCH_CUH
#define VQ4J_RUNTIME_CUDA_LAUNCH_CUH

#include <cuda_runtime.h>

#include <cstddef>

#include "context.h"
#include "cuda_check.cuh"

namespace vq4j {

// Threads per block of the one-dimensional (elementwise, reduction) kernels.
constexpr int kBlockThreads = 256;

// The grid cap of grid_for. The emulated device (tests/emu) runs a block's threads as OS threads that meet
// at a barrier after every block, so its cap is small: its grid-stride loops run longer, its launches cost
// milliseconds instead of seconds, and the loops' logic is the same.
#ifdef VQ4J_EMU
constexpr long long kGridCap = 64;
#else
constexpr long long kGridCap = 8192;
#endif

// Blocks for a grid-stride loop over count items: enough to fill any current GPU, never more than the
// items need, never zero for count > 0. The cap keeps every index arithmetic below in long long range
// and makes a reduction's partial count a fixed function of count (deterministic).
inline int grid_for(long long count, int threads = kBlockThreads, long long cap = kGridCap) {
  const long long blocks = (count + threads - 1) / threads;
  return static_cast<int>(blocks < 1 ? 1 : (blocks > cap ? cap : blocks));
}

// Offsets of several workspaces inside one scratch request, each aligned to 256 bytes:
//   Carve c;  size_t a = c.add(n * sizeof(double));  size_t f = c.add(sizeof(int));
//   char* base = static_cast<char*>(scratch(ctx, c.bytes));  (NULL: the error is recorded)
//   double* pa = reinterpret_cast<double*>(base + a);
// scratch() may reallocate when it grows, so all workspaces of one call come from one request.
struct Carve {
  size_t bytes = 0;
  size_t add(size_t n) {
    const size_t offset = bytes;
    bytes += (n + 255) / 256 * 256;
    return offset;
  }
};

}  // namespace vq4j

#endif
