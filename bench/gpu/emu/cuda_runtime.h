// bench/gpu/emu: a CPU emulation of the slice of CUDA the vq4j kernels use, standing in for the real
// cuda_runtime.h. Every CUDA thread of a block is an OS thread (a pool of blockDim threads walks the blocks
// one after another); __syncthreads is a std::barrier; warp shuffles go through a per-warp exchange buffer
// and barrier; __shared__ is a function static (safe because one block runs at a time); dynamic shared
// memory is poisoned with 0xA5. For checking index math and synchronisation logic, not numerics: the math
// functions are glibc's, and the intrinsics __fadd_rn & co. are plain operations (built with
// -ffp-contract=off).
#pragma once
#include <atomic>
#include <barrier>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

struct dim3 {
  unsigned x, y, z;
  dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct uint3 { unsigned x, y, z; };
typedef void* cudaStream_t;
enum cudaError_t { cudaSuccess = 0, cudaErrorInvalidConfiguration = 9 };
enum cudaMemcpyKind { cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2, cudaMemcpyDeviceToDevice = 3 };

namespace emu {
inline thread_local uint3 tIdx, bIdx;
inline thread_local dim3 bDim, gDim;
inline thread_local std::barrier<>* block_barrier = nullptr;
inline thread_local std::barrier<>* warp_barrier = nullptr;
inline thread_local double* warp_slots = nullptr;
inline thread_local int lane_id = 0;
inline thread_local unsigned char* dyn_shared = nullptr;
inline cudaError_t last_error = cudaSuccess;
inline long long launches = 0;

struct Config {
  dim3 grid, block;
  size_t shm;
  Config(dim3 g, dim3 b, size_t s = 0, cudaStream_t = nullptr) : grid(g), block(b), shm(s) {}
};

template <class T> T* dynamic_shared() { return reinterpret_cast<T*>(dyn_shared); }

inline void launch(const Config& c, const std::function<void()>& body) {
  ++launches;
  const unsigned nthreads = c.block.x * c.block.y * c.block.z;
  if (c.grid.x == 0 || c.grid.y == 0 || c.grid.z == 0 || nthreads == 0 || nthreads > 1024 ||
      c.grid.y > 65535 || c.grid.z > 65535) {
    std::fprintf(stderr, "emu: invalid launch grid (%u,%u,%u) block (%u,%u,%u)\n", c.grid.x, c.grid.y, c.grid.z,
                 c.block.x, c.block.y, c.block.z);
    last_error = cudaErrorInvalidConfiguration;
    return;
  }
  if (nthreads % 32 != 0) { std::fprintf(stderr, "emu: block not a multiple of 32\n"); std::abort(); }
  std::barrier<> block_bar(nthreads);
  const unsigned nwarps = nthreads / 32;
  std::vector<std::unique_ptr<std::barrier<>>> warp_bars;
  for (unsigned w = 0; w < nwarps; ++w) warp_bars.emplace_back(new std::barrier<>(32));
  std::vector<double> slots(nthreads);
  std::vector<unsigned char> shm(c.shm + 16);
  // Poison dynamic shared memory: a kernel must not read what it did not write.
  std::memset(shm.data(), 0xA5, shm.size());
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < nthreads; ++t) {
    pool.emplace_back([&, t] {
      tIdx = {t % c.block.x, (t / c.block.x) % c.block.y, t / (c.block.x * c.block.y)};
      bDim = c.block;
      gDim = c.grid;
      block_barrier = &block_bar;
      warp_barrier = warp_bars[t / 32].get();
      warp_slots = slots.data() + (t / 32) * 32;
      lane_id = t % 32;
      dyn_shared = shm.data();
      for (unsigned bz = 0; bz < c.grid.z; ++bz)
        for (unsigned by = 0; by < c.grid.y; ++by)
          for (unsigned bx = 0; bx < c.grid.x; ++bx) {
            bIdx = {bx, by, bz};
            body();
            block_bar.arrive_and_wait();  // the block is done before the next one reuses the statics
          }
    });
  }
  for (auto& th : pool) th.join();
}

template <class T> T shfl_xor(T v, int offset) {
  static_assert(sizeof(T) <= sizeof(double), "");
  std::memcpy(&warp_slots[lane_id], &v, sizeof(T));
  warp_barrier->arrive_and_wait();
  T other;
  std::memcpy(&other, &warp_slots[lane_id ^ offset], sizeof(T));
  warp_barrier->arrive_and_wait();
  return other;
}
}  // namespace emu

#define threadIdx (::emu::tIdx)
#define blockIdx (::emu::bIdx)
#define blockDim (::emu::bDim)
#define gridDim (::emu::gDim)
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static
inline void __syncthreads() { emu::block_barrier->arrive_and_wait(); }
template <class T> T __shfl_xor_sync(unsigned, T v, int offset) { return emu::shfl_xor(v, offset); }

inline int atomicAdd(int* p, int v) { return std::atomic_ref<int>(*p).fetch_add(v); }
inline int atomicMax(int* p, int v) {
  std::atomic_ref<int> a(*p);
  int old = a.load();
  while (old < v && !a.compare_exchange_weak(old, v)) {}
  return old;
}
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return std::sqrt(a); }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
#include <math.h>

inline const char* cudaGetErrorString(cudaError_t e) { return e == cudaSuccess ? "no error" : "invalid configuration"; }
inline cudaError_t cudaGetLastError() { cudaError_t e = emu::last_error; emu::last_error = cudaSuccess; return e; }
inline cudaError_t cudaSetDevice(int) { return cudaSuccess; }
inline cudaError_t cudaMemsetAsync(void* p, int v, size_t n, cudaStream_t = nullptr) { std::memset(p, v, n); return cudaSuccess; }
inline cudaError_t cudaMemcpyAsync(void* d, const void* s, size_t n, cudaMemcpyKind, cudaStream_t = nullptr) { std::memcpy(d, s, n); return cudaSuccess; }
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
