// The CUDA communicator: NCCL opened with dlopen("libnccl.so.2") (no link dependency), one NCCL
// communicator per vq4j_comm, collectives on the context's stream, or, for the started all-reduces that
// overlap the backward, on the communicator's side stream (runtime/side_stream.h). Each collective is
// waited for within the timeout: NCCL has no timeout of its own, and a peer that died leaves the kernels of
// the others spinning forever, so past the timeout the communicator is aborted and the rank reports the
// operation.
#include <cuda_runtime.h>
#include <dlfcn.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <new>
#include <string>
#include <thread>

#include "comm_backends.h"
#include "context.h"
#include "nccl_api.h"
#include "side_stream.h"

namespace vq4j {

struct NcclComm {
  vq4j_ctx* ctx = nullptr;
  int rank = 0;
  int world_size = 1;
  int timeout_ms = 0;
  nccl::Comm comm = nullptr;
  bool aborted = false;
  SideStream side;
  bool started = false;  // an all-reduce was started on the side stream since the last wait
};

namespace {

const nccl::Api* nccl_api(std::string* why) {
  static std::once_flag once;
  static nccl::Api api;
  static std::string error;
  static bool ok = false;
  std::call_once(once, [] {
    void* lib = dlopen("libnccl.so.2", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      error = std::string("cannot open NCCL (libnccl.so.2; install NCCL 2.10 or later): ") + dlerror();
      return;
    }
    bool found = true;
    auto bind = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib, name));
      if (fn == nullptr && found) {
        found = false;
        error = std::string("libnccl.so.2 lacks ") + name;
      }
    };
    bind(api.GetVersion, "ncclGetVersion");
    bind(api.GetErrorString, "ncclGetErrorString");
    bind(api.GetUniqueId, "ncclGetUniqueId");
    bind(api.CommInitRank, "ncclCommInitRank");
    bind(api.CommDestroy, "ncclCommDestroy");
    bind(api.CommAbort, "ncclCommAbort");
    bind(api.CommGetAsyncError, "ncclCommGetAsyncError");
    bind(api.AllReduce, "ncclAllReduce");
    bind(api.Broadcast, "ncclBroadcast");
    bind(api.AllGather, "ncclAllGather");
    int version = 0;
    if (found && api.GetVersion(&version) == nccl::kSuccess && version < 21000) {
      found = false;  // ncclAvg came with 2.10
      error = "NCCL " + std::to_string(version) + " is older than 2.10 (21000)";
    }
    ok = found;
  });
  if (!ok) *why = error;
  return ok ? &api : nullptr;
}

int report(const NcclComm* c, const char* op, const std::string& what, char* error, size_t error_bytes) {
  std::snprintf(error, error_bytes, "rank %d of %d: %s: NCCL: %s", c->rank, c->world_size, op, what.c_str());
  return VQ4J_ERR_COMM;
}

// Waits until done() (a query of the stream or event behind the queued collective) says so, polling
// NCCL's asynchronous error, until the timeout; then aborts.
template <typename Done>
int wait_for(NcclComm* c, const char* op, Done done, char* error, size_t error_bytes) {
  std::string why;
  const nccl::Api* api = nccl_api(&why);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(c->timeout_ms);
  for (;;) {
    cudaError_t state = done();
    if (state == cudaSuccess) return VQ4J_OK;
    if (state != cudaErrorNotReady) return report(c, op, cudaGetErrorString(state), error, error_bytes);
    nccl::Result async = nccl::kSuccess;
    api->CommGetAsyncError(c->comm, &async);
    if (async != nccl::kSuccess && async != nccl::kInProgress) {
      api->CommAbort(c->comm);
      c->aborted = true;
      return report(c, op, api->GetErrorString(async), error, error_bytes);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      api->CommAbort(c->comm);
      c->aborted = true;
      return report(c, op, "timed out after " + std::to_string(c->timeout_ms) + " ms (a peer died or stalled)",
                    error, error_bytes);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

// Waits for the collective just queued on the context's stream.
int finish(NcclComm* c, const char* op, nccl::Result queued, char* error, size_t error_bytes) {
  std::string why;
  const nccl::Api* api = nccl_api(&why);
  if (queued != nccl::kSuccess) return report(c, op, api->GetErrorString(queued), error, error_bytes);
  const auto stream = static_cast<cudaStream_t>(c->ctx->stream);
  return wait_for(c, op, [stream] { return cudaStreamQuery(stream); }, error, error_bytes);
}

}  // namespace

NcclComm* nccl_open(vq4j_ctx* ctx, int rank, int world_size, const vq4j_gloo_api* gloo_api, vq4j_gloo* gloo,
                    int timeout_ms, char* error, size_t error_bytes) {
  NcclComm probe{ctx, rank, world_size, timeout_ms};
  std::string why;
  const nccl::Api* api = nccl_api(&why);
  if (api == nullptr) {
    report(&probe, "init", why, error, error_bytes);
    return nullptr;
  }
  nccl::UniqueId id{};
  if (rank == 0) {
    nccl::Result r = api->GetUniqueId(&id);
    if (r != nccl::kSuccess) {
      report(&probe, "init", api->GetErrorString(r), error, error_bytes);
      return nullptr;
    }
    if (gloo_api->store_set(gloo, "vq4j/nccl_id", &id, sizeof id, error, error_bytes) != 0) return nullptr;
  } else if (gloo_api->store_get(gloo, "vq4j/nccl_id", &id, sizeof id, error, error_bytes) != 0) {
    return nullptr;
  }
  if (cudaSetDevice(ctx->device) != cudaSuccess) {
    report(&probe, "init", cudaGetErrorString(cudaGetLastError()), error, error_bytes);
    return nullptr;
  }
  // ncclCommInitRank blocks until every rank joined; the Gloo mesh already proved they are all alive.
  nccl::Comm comm = nullptr;
  nccl::Result r = api->CommInitRank(&comm, world_size, id, rank);
  if (r != nccl::kSuccess) {
    report(&probe, "init", api->GetErrorString(r), error, error_bytes);
    return nullptr;
  }
  NcclComm* c = new (std::nothrow) NcclComm(probe);
  if (c == nullptr) {
    api->CommDestroy(comm);
    report(&probe, "init", "out of host memory", error, error_bytes);
    return nullptr;
  }
  c->comm = comm;
  if (cudaError_t err = side_stream_open(ctx, &c->side); err != cudaSuccess) {
    report(c, "init", std::string("side stream: ") + cudaGetErrorString(err), error, error_bytes);
    nccl_close(c);
    return nullptr;
  }
  return c;
}

int nccl_all_reduce(NcclComm* c, float* data, size_t count, bool average, char* error, size_t error_bytes) {
  VQ4J_TRY(nccl_wait(c, error, error_bytes));
  std::string why;
  const nccl::Api* api = nccl_api(&why);
  return finish(c, "all_reduce",
                api->AllReduce(data, data, count, nccl::kFloat32, average ? nccl::kAvg : nccl::kSum, c->comm,
                               c->ctx->stream),
                error, error_bytes);
}

int nccl_all_reduce_start(NcclComm* c, float* data, size_t count, bool average, char* error, size_t error_bytes) {
  std::string why;
  const nccl::Api* api = nccl_api(&why);
  if (cudaError_t err = side_stream_fork(c->ctx, &c->side); err != cudaSuccess)
    return report(c, "all_reduce_start", cudaGetErrorString(err), error, error_bytes);
  nccl::Result queued = api->AllReduce(data, data, count, nccl::kFloat32, average ? nccl::kAvg : nccl::kSum,
                                       c->comm, c->side.stream);
  if (queued != nccl::kSuccess) return report(c, "all_reduce_start", api->GetErrorString(queued), error, error_bytes);
  c->started = true;
  return VQ4J_OK;
}

int nccl_wait(NcclComm* c, char* error, size_t error_bytes) {
  if (!c->started) return VQ4J_OK;
  c->started = false;
  if (cudaError_t err = side_stream_join(c->ctx, &c->side); err != cudaSuccess)
    return report(c, "wait", cudaGetErrorString(err), error, error_bytes);
  SideStream* side = &c->side;
  return wait_for(c, "wait", [side] { return side_stream_joined(side); }, error, error_bytes);
}

int nccl_broadcast(NcclComm* c, void* data, size_t bytes, int root, char* error, size_t error_bytes) {
  VQ4J_TRY(nccl_wait(c, error, error_bytes));
  std::string why;
  const nccl::Api* api = nccl_api(&why);
  return finish(c, "broadcast",
                api->Broadcast(data, data, bytes, nccl::kUint8, root, c->comm, c->ctx->stream), error,
                error_bytes);
}

int nccl_all_gather(NcclComm* c, const void* send, void* recv, size_t bytes_per_rank, char* error,
                    size_t error_bytes) {
  VQ4J_TRY(nccl_wait(c, error, error_bytes));
  std::string why;
  const nccl::Api* api = nccl_api(&why);
  return finish(c, "all_gather",
                api->AllGather(send, recv, bytes_per_rank, nccl::kUint8, c->comm, c->ctx->stream), error,
                error_bytes);
}

void nccl_close(NcclComm* c) {
  if (c == nullptr) return;
  std::string why;
  const nccl::Api* api = nccl_api(&why);
  if (!c->aborted) {
    side_stream_close(&c->side);  // after an abort its NCCL kernels may never end: it is left to the process exit
    api->CommDestroy(c->comm);
  }
  delete c;
}

}  // namespace vq4j
