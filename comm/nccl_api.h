// The part of NCCL's stable C API (nccl.h, 2.x) that the CUDA communicator uses, declared here so that
// libvq4j.so builds without NCCL and opens libnccl.so.2 with dlopen on first use. Values as in nccl.h.
#ifndef VQ4J_COMM_NCCL_API_H
#define VQ4J_COMM_NCCL_API_H

#include <cstddef>

namespace vq4j::nccl {

using Result = int;  // ncclResult_t
constexpr Result kSuccess = 0;
constexpr Result kInProgress = 7;  // ncclInProgress (non-blocking communicators)
using Comm = struct ncclComm*;
struct UniqueId {
  char internal[128];
};
using DataType = int;  // ncclDataType_t
constexpr DataType kUint8 = 1;
constexpr DataType kFloat32 = 7;
using RedOp = int;  // ncclRedOp_t
constexpr RedOp kSum = 0;
constexpr RedOp kAvg = 4;  // NCCL >= 2.10

// The entry points, looked up by these names.
struct Api {
  Result (*GetVersion)(int* version);
  const char* (*GetErrorString)(Result result);
  Result (*GetUniqueId)(UniqueId* id);
  Result (*CommInitRank)(Comm* comm, int nranks, UniqueId id, int rank);
  Result (*CommDestroy)(Comm comm);
  Result (*CommAbort)(Comm comm);
  Result (*CommGetAsyncError)(Comm comm, Result* async_error);
  Result (*AllReduce)(const void* send, void* recv, size_t count, DataType type, RedOp op, Comm comm,
                      void* stream);
  Result (*Broadcast)(const void* send, void* recv, size_t count, DataType type, int root, Comm comm,
                      void* stream);
  Result (*AllGather)(const void* send, void* recv, size_t send_count, DataType type, Comm comm,
                      void* stream);
};

}  // namespace vq4j::nccl

#endif
