// The CUDA half of `vq4j info` (native/src/info.cpp): versions and device properties, none of which needs a
// context; a failed query is cleared so that it cannot surface as a later op's error.
#include "cuda_info.h"

#include <cuda_runtime.h>

#include <cstring>

#include "memory.h"
#include "vq4j.h"

namespace vq4j {

int cuda_driver_version() {
  int version = 0;
  if (cudaDriverGetVersion(&version) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return version;
}

int cuda_runtime_version() {
  int version = 0;
  if (cudaRuntimeGetVersion(&version) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return version;
}

int cuda_device_info(int device, char* name, int name_capacity, long long* total_bytes, int* cc_major,
                     int* cc_minor) {
  if (device < 0 || device >= cuda_device_count()) return VQ4J_ERR_ARGUMENT;
  cudaDeviceProp prop;
  if (cudaGetDeviceProperties(&prop, device) != cudaSuccess) {
    cudaGetLastError();
    return VQ4J_ERR_CUDA;
  }
  std::strncpy(name, prop.name, static_cast<size_t>(name_capacity) - 1);
  name[name_capacity - 1] = '\0';
  *total_bytes = static_cast<long long>(prop.totalGlobalMem);
  *cc_major = prop.major;
  *cc_minor = prop.minor;
  return VQ4J_OK;
}

}  // namespace vq4j
