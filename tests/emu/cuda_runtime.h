// The CUDA emulator: a CPU emulation of the slice of CUDA the vq4j kernels and runtime/cuda_runtime.cu use,
// standing in for the real cuda_runtime.h. Every CUDA thread of a block is an OS thread (a pool of blockDim
// threads walks the blocks one after another); __syncthreads is a std::barrier; warp shuffles go through a
// per-warp exchange buffer and barrier; __shared__ is a function static (safe because one block runs at a
// time); dynamic shared memory is poisoned with 0xA5. For checking index math and synchronisation logic,
// not numerics: the math functions are glibc's, and the intrinsics __fadd_rn & co. are plain operations
// (built with -ffp-contract=off).
//
// The runtime: VQ4J_EMU_DEVICES devices (2 by default, so that two contexts can sit on different ids), all
// sharing host memory as "device memory"; launches run at once, in call order. A stream belongs to the
// device current when it was created, and a launch into a stream of another device than the current one
// fails as on a GPU (cudaErrorInvalidResourceHandle) and is counted in emu::wrong_device_launches: the
// check that every op selects its context's device before it launches. A
// host-to-device copy from pinned memory (cudaHostAlloc) is the one operation left queued, as a real one
// is: it runs at the next launch, copy or memset, at cudaStreamSynchronize, or at a cudaEventSynchronize of
// an event recorded after it. So a pinned buffer refilled before its copy has run hands the device the new
// bytes instead of the old, as it would on a GPU.
// A test may defer a stream (emu::defer): its launches then wait in its queue until something needs them,
// as on a GPU where two streams run when they please: a cudaStreamWaitEvent or cudaEventSynchronize/Query
// of an event recorded on it after them, or a synchronisation or query of the stream. Work on a deferred
// stream that runs too late for a reader, or too early for a writer, shows a missing event (the ordering
// of runtime/side_stream.h). Only launches are deferred.
#pragma once
#include <atomic>
#include <barrier>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
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
typedef struct emu_event* cudaEvent_t;
enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidDevice = 101,
  cudaErrorInvalidResourceHandle = 400,
  cudaErrorNotReady = 600
};
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
inline const int device_count = [] {
  const char* env = std::getenv("VQ4J_EMU_DEVICES");
  return env != nullptr && std::atoi(env) > 0 ? std::atoi(env) : 2;
}();
inline thread_local int current_device = 0;
inline long long wrong_device_launches = 0;
struct Stream {
  int device;
  bool deferred = false;
  std::deque<std::function<void()>> queued;  // launches not yet run, of a deferred stream
  long long launched = 0;                    // launches ever made into the stream
};
// Runs the stream's queued launches until launched - queued.size() >= upto (all of them by default).
inline void run_stream(cudaStream_t s, long long upto = -1) {
  auto* st = static_cast<Stream*>(s);
  if (st == nullptr) return;
  while (!st->queued.empty() && (upto < 0 || st->launched - static_cast<long long>(st->queued.size()) < upto)) {
    std::function<void()> next = std::move(st->queued.front());
    st->queued.pop_front();
    next();
  }
}
// Test hook: from now on the stream's launches wait in its queue (see the top); off runs them all.
inline void defer(cudaStream_t s, bool on = true) {
  if (!on) run_stream(s);
  static_cast<Stream*>(s)->deferred = on;
}

// Host-to-device copies from pinned memory, not yet run, in stream order; seq numbers them.
struct PendingCopy {
  long long seq;
  void* dst;
  const void* src;
  size_t n;
};
inline std::deque<PendingCopy> pending;
inline long long copies_queued = 0;
inline std::vector<std::pair<const char*, size_t>> pinned;  // live cudaHostAlloc blocks

inline bool is_pinned(const void* p) {
  for (auto& [base, n] : pinned)
    if (static_cast<const char*>(p) >= base && static_cast<const char*>(p) < base + n) return true;
  return false;
}
// Runs the queued copies up to seq (all of them by default).
inline void drain(long long upto = -1) {
  while (!pending.empty() && (upto < 0 || pending.front().seq <= upto)) {
    std::memcpy(pending.front().dst, pending.front().src, pending.front().n);
    pending.pop_front();
  }
}

struct Config {
  dim3 grid, block;
  size_t shm;
  cudaStream_t stream;
  Config(dim3 g, dim3 b, size_t s = 0, cudaStream_t st = nullptr) : grid(g), block(b), shm(s), stream(st) {}
};

template <class T> T* dynamic_shared() { return reinterpret_cast<T*>(dyn_shared); }

inline void launch_now(const Config& c, const std::function<void()>& body);

inline void launch(const Config& c, const std::function<void()>& body) {
  auto* st = static_cast<Stream*>(c.stream);
  if (st != nullptr) ++st->launched;
  if (st != nullptr && st->deferred) {
    st->queued.push_back([c, body] { launch_now(c, body); });
    return;
  }
  launch_now(c, body);
}

inline void launch_now(const Config& c, const std::function<void()>& body) {
  drain();
  ++launches;
  if (c.stream != nullptr && static_cast<const Stream*>(c.stream)->device != current_device) {
    std::fprintf(stderr, "emu: launch into a stream of device %d while device %d is current\n",
                 static_cast<const Stream*>(c.stream)->device, current_device);
    ++wrong_device_launches;
    last_error = cudaErrorInvalidResourceHandle;
    return;
  }
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
#define __align__(n) alignas(n)
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

inline const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    default: return "invalid configuration";
  }
}
inline cudaError_t cudaGetLastError() { cudaError_t e = emu::last_error; emu::last_error = cudaSuccess; return e; }
inline cudaError_t cudaSetDevice(int device) {
  if (device < 0 || device >= emu::device_count) return cudaErrorInvalidDevice;
  emu::current_device = device;
  return cudaSuccess;
}
inline cudaError_t cudaMemsetAsync(void* p, int v, size_t n, cudaStream_t = nullptr) { emu::drain(); std::memset(p, v, n); return cudaSuccess; }
inline cudaError_t cudaMemcpyAsync(void* d, const void* s, size_t n, cudaMemcpyKind k, cudaStream_t = nullptr) {
  if (k == cudaMemcpyHostToDevice && emu::is_pinned(s)) {
    emu::pending.push_back({++emu::copies_queued, d, s, n});
  } else {
    emu::drain();
    std::memcpy(d, s, n);
  }
  return cudaSuccess;
}
inline cudaError_t cudaStreamSynchronize(cudaStream_t s) { emu::run_stream(s); emu::drain(); return cudaSuccess; }
// Queued work runs when asked about: a polled stream is always done (the NCCL communicator polls).
inline cudaError_t cudaStreamQuery(cudaStream_t s) { emu::run_stream(s); emu::drain(); return cudaSuccess; }

enum { cudaStreamNonBlocking = 1, cudaEventDisableTiming = 2, cudaHostAllocDefault = 0 };
inline cudaError_t cudaGetDeviceCount(int* n) { *n = emu::device_count; return cudaSuccess; }
enum cudaDeviceAttr { cudaDevAttrComputeCapabilityMajor = 75 };
// Compute capability 7.0: no TF32 tensor cores, so conv_gemm.cu's VQ4J_CONV_TF32=1 falls back to FP32 as it
// does on such a GPU. The TF32 kernel's body exists only in the device pass (__CUDA_ARCH__ >= 800), which
// the emulation never compiles: reporting 8.0 would launch an empty kernel.
inline cudaError_t cudaDeviceGetAttribute(int* v, cudaDeviceAttr, int) { *v = 7; return cudaSuccess; }
// What vq4j_cuda_device_info reports (runtime/cuda_info.cu): a named, versioned stand-in, not a real device.
struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  int major, minor;
};
inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int device) {
  if (device < 0 || device >= emu::device_count) return cudaErrorInvalidDevice;
  std::snprintf(p->name, sizeof p->name, "vq4j CUDA emulator, device %d", device);
  p->totalGlobalMem = size_t{1} << 30;
  p->major = 7;
  p->minor = 0;
  return cudaSuccess;
}
inline cudaError_t cudaRuntimeGetVersion(int* v) { *v = 12000; return cudaSuccess; }
inline cudaError_t cudaDriverGetVersion(int* v) { *v = 12000; return cudaSuccess; }
inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned) {
  *s = new emu::Stream{emu::current_device};
  return cudaSuccess;
}
inline cudaError_t cudaStreamDestroy(cudaStream_t s) { emu::run_stream(s); emu::drain(); delete static_cast<emu::Stream*>(s); return cudaSuccess; }
inline cudaError_t cudaMalloc(void** p, size_t n) { *p = std::malloc(n); return *p ? cudaSuccess : cudaErrorInvalidValue; }
inline cudaError_t cudaFree(void* p) { emu::drain(); std::free(p); return cudaSuccess; }
inline cudaError_t cudaHostAlloc(void** p, size_t n, unsigned) {
  *p = std::malloc(n);
  if (*p == nullptr) return cudaErrorInvalidValue;
  emu::pinned.push_back({static_cast<const char*>(*p), n});
  return cudaSuccess;
}
inline cudaError_t cudaFreeHost(void* p) {
  emu::drain();
  std::erase_if(emu::pinned, [p](auto& b) { return b.first == p; });
  std::free(p);
  return cudaSuccess;
}
struct emu_event {
  long long seq = 0;               // the last copy queued before the record
  cudaStream_t stream = nullptr;   // the stream it was recorded on, and how many launches it had then
  long long launched = 0;
};
inline cudaError_t cudaEventCreateWithFlags(cudaEvent_t* e, unsigned) { *e = new emu_event; return cudaSuccess; }
inline cudaError_t cudaEventDestroy(cudaEvent_t e) { delete e; return cudaSuccess; }
inline cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s = nullptr) {
  e->seq = emu::copies_queued;
  e->stream = s;
  e->launched = s == nullptr ? 0 : static_cast<emu::Stream*>(s)->launched;
  return cudaSuccess;
}
inline cudaError_t cudaEventSynchronize(cudaEvent_t e) {
  emu::run_stream(e->stream, e->launched);
  emu::drain(e->seq);
  return cudaSuccess;
}
// As cudaStreamQuery: what the event waits for runs when asked about.
inline cudaError_t cudaEventQuery(cudaEvent_t e) { return cudaEventSynchronize(e); }
// The waiting stream's later launches run after the event's, which therefore run now.
inline cudaError_t cudaStreamWaitEvent(cudaStream_t, cudaEvent_t e, unsigned) {
  emu::run_stream(e->stream, e->launched);
  return cudaSuccess;
}

inline unsigned long long atomicMax(unsigned long long* p, unsigned long long v) {
  std::atomic_ref<unsigned long long> a(*p);
  unsigned long long old = a.load();
  while (old < v && !a.compare_exchange_weak(old, v)) {}
  return old;
}
