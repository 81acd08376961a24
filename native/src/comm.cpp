// The communicator half of the C API (vq4j.h): checks arguments, opens the backend that fits the context
// (Gloo for the CPU, NCCL for CUDA, with Gloo under it for the rendezvous) and words every failure.
#include <dlfcn.h>
#include <libgen.h>

#include <cstdio>
#include <cstring>
#include <mutex>
#include <new>
#include <string>

#include "comm_backends.h"
#include "context.h"

struct vq4j_comm {
  vq4j_ctx* ctx = nullptr;
  int rank = 0;
  int world_size = 1;
  int status = VQ4J_OK;
  char error[1024] = {0};
  const vq4j_gloo_api* gloo_api = nullptr;
  vq4j_gloo* gloo = nullptr;
  vq4j::NcclComm* nccl = nullptr;
};

namespace vq4j {

const vq4j_gloo_api* gloo_api(std::string* why) {
  static std::once_flag once;
  static const vq4j_gloo_api* api = nullptr;
  static std::string error;
  std::call_once(once, [] {
    // Beside libvq4j.so first (the jar's copy, or the build's), then wherever the loader looks.
    std::string path = "libvq4j_gloo.so";
    Dl_info self{};
    if (dladdr(reinterpret_cast<void*>(&vq4j_comm_init), &self) != 0 && self.dli_fname != nullptr) {
      std::string dir = self.dli_fname;
      path = dir.substr(0, dir.rfind('/') + 1) + "libvq4j_gloo.so";
    }
    void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) lib = dlopen("libvq4j_gloo.so", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      error = std::string("the Gloo communicator is not available (this build has none, or Gloo is not "
                          "installed: apt-get install libgloo0): ") + dlerror();
      return;
    }
    auto get = reinterpret_cast<const vq4j_gloo_api* (*)()>(dlsym(lib, "vq4j_gloo_api_get"));
    const vq4j_gloo_api* found = get == nullptr ? nullptr : get();
    if (found == nullptr || found->version != VQ4J_GLOO_API_VERSION) {
      error = "libvq4j_gloo.so does not match this libvq4j.so (rebuild both)";
      return;
    }
    api = found;
  });
  if (api == nullptr) *why = error;
  return api;
}

}  // namespace vq4j

namespace {

int comm_fail(vq4j_comm* comm, int status, const char* op, const char* what) {
  std::snprintf(comm->error, sizeof comm->error, "rank %d of %d: %s: %s", comm->rank, comm->world_size, op,
                what);
  return status;
}

// A communicator that failed once is left unusable: its peers have given up on the collective too.
int usable(vq4j_comm* comm) {
  if (comm == nullptr) return VQ4J_ERR_ARGUMENT;
  return comm->status;
}

int backend_status(vq4j_comm* comm, int rc) {
  if (rc != 0) comm->status = VQ4J_ERR_COMM;
  return rc == 0 ? VQ4J_OK : VQ4J_ERR_COMM;
}

// data[0, averaged) becomes the ranks' average, data[averaged, count) their sum; with start, overlapped (NCCL).
int all_reduce(vq4j_comm* comm, const char* name, float* data, long long count, long long averaged, bool start) {
  VQ4J_TRY(usable(comm));
  if (count < 0 || (count > 0 && data == nullptr) || averaged < 0 || averaged > count)
    return comm_fail(comm, VQ4J_ERR_ARGUMENT, name, "need count >= 0, data, and 0 <= averaged <= count");
  if (count == 0) return VQ4J_OK;
#ifdef VQ4J_WITH_CUDA
  if (comm->nccl != nullptr) {
    // NCCL averages on the device: the averaged part and the summed part are two calls on the same stream.
    auto reduce = start ? vq4j::nccl_all_reduce_start : vq4j::nccl_all_reduce;
    const size_t head = static_cast<size_t>(averaged), tail = static_cast<size_t>(count - averaged);
    if (head > 0)
      VQ4J_TRY(backend_status(comm, reduce(comm->nccl, data, head, true, comm->error, sizeof comm->error)));
    if (tail > 0)
      VQ4J_TRY(backend_status(comm, reduce(comm->nccl, data + head, tail, false, comm->error, sizeof comm->error)));
    return VQ4J_OK;
  }
#endif
  const size_t n = static_cast<size_t>(count);
  VQ4J_TRY(backend_status(comm, comm->gloo_api->all_reduce_sum(comm->gloo, data, n, comm->error,
                                                               sizeof comm->error)));
  const float scale = 1.0f / static_cast<float>(comm->world_size);
  for (long long i = 0; i < averaged; ++i) data[i] *= scale;
  return VQ4J_OK;
}

int reduce_op(vq4j_comm* comm, const char* name, float* data, long long count, int op, bool start) {
  if (op != VQ4J_REDUCE_SUM && op != VQ4J_REDUCE_AVERAGE)
    return comm_fail(comm, VQ4J_ERR_ARGUMENT, name, "op must be VQ4J_REDUCE_SUM or VQ4J_REDUCE_AVERAGE");
  return all_reduce(comm, name, data, count, op == VQ4J_REDUCE_AVERAGE ? count : 0, start);
}

}  // namespace

extern "C" {

vq4j_comm* vq4j_comm_init(vq4j_ctx* ctx, int rank, int world_size, const char* rendezvous, int timeout_ms) {
  vq4j_comm* comm = new (std::nothrow) vq4j_comm();
  if (comm == nullptr) return nullptr;
  comm->ctx = ctx;
  comm->rank = rank;
  comm->world_size = world_size;
  if (ctx == nullptr || world_size < 1 || rank < 0 || rank >= world_size || rendezvous == nullptr ||
      timeout_ms < 1) {
    char what[256];
    std::snprintf(what, sizeof what,
                  "need a context, 0 <= rank < world_size, a rendezvous and timeout_ms >= 1 (rank %d, "
                  "world_size %d, rendezvous %s, timeout_ms %d)",
                  rank, world_size, rendezvous == nullptr ? "NULL" : rendezvous, timeout_ms);
    comm->status = comm_fail(comm, VQ4J_ERR_ARGUMENT, "init", what);
    return comm;
  }
#ifndef VQ4J_WITH_CUDA
  if (ctx->device >= 0) {
    comm->status = comm_fail(comm, VQ4J_ERR_UNSUPPORTED, "init", "this vq4j library was built without CUDA");
    return comm;
  }
#endif
  std::string why;
  comm->gloo_api = vq4j::gloo_api(&why);
  if (comm->gloo_api == nullptr) {
    comm->status = comm_fail(comm, VQ4J_ERR_UNSUPPORTED, "init", why.c_str());
    return comm;
  }
  comm->gloo = comm->gloo_api->create(rank, world_size, rendezvous, timeout_ms, comm->error, sizeof comm->error);
  if (comm->gloo == nullptr) {
    comm->status = VQ4J_ERR_COMM;
    return comm;
  }
#ifdef VQ4J_WITH_CUDA
  if (ctx->device >= 0) {
    comm->nccl = vq4j::nccl_open(ctx, rank, world_size, comm->gloo_api, comm->gloo, timeout_ms, comm->error,
                                 sizeof comm->error);
    if (comm->nccl == nullptr) comm->status = VQ4J_ERR_COMM;
  }
#endif
  return comm;
}

int vq4j_comm_status(const vq4j_comm* comm) { return comm == nullptr ? VQ4J_ERR_ARGUMENT : comm->status; }

const char* vq4j_comm_last_error(const vq4j_comm* comm) {
  return comm == nullptr ? "null vq4j communicator" : comm->error;
}

int vq4j_comm_all_reduce(vq4j_comm* comm, float* data, long long count, int op) {
  return reduce_op(comm, "all_reduce", data, count, op, false);
}

int vq4j_comm_all_reduce_start(vq4j_comm* comm, float* data, long long count, int op) {
  return reduce_op(comm, "all_reduce_start", data, count, op, true);
}

int vq4j_comm_all_reduce_mixed(vq4j_comm* comm, float* data, long long count, long long averaged) {
  return all_reduce(comm, "all_reduce_mixed", data, count, averaged, false);
}

int vq4j_comm_all_reduce_mixed_start(vq4j_comm* comm, float* data, long long count, long long averaged) {
  return all_reduce(comm, "all_reduce_mixed_start", data, count, averaged, true);
}

int vq4j_comm_wait(vq4j_comm* comm) {
  VQ4J_TRY(usable(comm));
#ifdef VQ4J_WITH_CUDA
  if (comm->nccl != nullptr) return backend_status(comm, vq4j::nccl_wait(comm->nccl, comm->error, sizeof comm->error));
#endif
  return VQ4J_OK;
}

int vq4j_comm_broadcast(vq4j_comm* comm, void* data, long long bytes, int root) {
  VQ4J_TRY(usable(comm));
  if (bytes < 0 || (bytes > 0 && data == nullptr) || root < 0 || root >= comm->world_size)
    return comm_fail(comm, VQ4J_ERR_ARGUMENT, "broadcast", "need bytes >= 0, data, and 0 <= root < world_size");
  if (bytes == 0) return VQ4J_OK;
#ifdef VQ4J_WITH_CUDA
  if (comm->nccl != nullptr)
    return backend_status(comm, vq4j::nccl_broadcast(comm->nccl, data, static_cast<size_t>(bytes), root,
                                                     comm->error, sizeof comm->error));
#endif
  return backend_status(comm, comm->gloo_api->broadcast(comm->gloo, data, static_cast<size_t>(bytes), root,
                                                        comm->error, sizeof comm->error));
}

int vq4j_comm_all_gather(vq4j_comm* comm, const void* send, void* recv, long long bytes_per_rank) {
  VQ4J_TRY(usable(comm));
  if (bytes_per_rank < 0 || (bytes_per_rank > 0 && (send == nullptr || recv == nullptr)))
    return comm_fail(comm, VQ4J_ERR_ARGUMENT, "all_gather", "need bytes_per_rank >= 0, send and recv");
  if (bytes_per_rank == 0) return VQ4J_OK;
#ifdef VQ4J_WITH_CUDA
  if (comm->nccl != nullptr)
    return backend_status(comm, vq4j::nccl_all_gather(comm->nccl, send, recv, static_cast<size_t>(bytes_per_rank),
                                                      comm->error, sizeof comm->error));
#endif
  return backend_status(comm, comm->gloo_api->all_gather(comm->gloo, send, recv,
                                                         static_cast<size_t>(bytes_per_rank), comm->error,
                                                         sizeof comm->error));
}

int vq4j_comm_barrier(vq4j_comm* comm) {
  VQ4J_TRY(vq4j_comm_wait(comm));
  if (vq4j_sync(comm->ctx) != VQ4J_OK)
    return comm_fail(comm, VQ4J_ERR_COMM, "barrier", vq4j_last_error(comm->ctx));
  return backend_status(comm, comm->gloo_api->barrier(comm->gloo, comm->error, sizeof comm->error));
}

void vq4j_comm_destroy(vq4j_comm* comm) {
  if (comm == nullptr) return;
#ifdef VQ4J_WITH_CUDA
  vq4j::nccl_close(comm->nccl);
#endif
  if (comm->gloo != nullptr) comm->gloo_api->destroy(comm->gloo);
  delete comm;
}

}  // extern "C"
