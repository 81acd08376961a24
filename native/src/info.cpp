// What `vq4j info` reports about the native side: the CPU threads and matrix-product library, the CUDA
// driver, runtime and devices (from runtime/cuda_info.cu in a CUDA build), and whether NCCL is installed.
#include <cblas.h>
#include <dlfcn.h>
#include <omp.h>

#include <cstdio>

#include "cuda_info.h"
#include "vq4j.h"

extern "C" {

int vq4j_cpu_threads(void) { return omp_get_max_threads(); }

const char* vq4j_cpu_gemm(void) {
  // openblas_get_config starts with "OpenBLAS <version>"; the core name is the kernel chosen at load time
  // (OPENBLAS_CORETYPE overrides it), which decides the speed more than the version does.
  static char text[256];
  std::snprintf(text, sizeof text, "%s (core %s)", openblas_get_config(), openblas_get_corename());
  return text;
}

int vq4j_cuda_driver_version(void) {
#ifdef VQ4J_WITH_CUDA
  return vq4j::cuda_driver_version();
#else
  return 0;
#endif
}

int vq4j_cuda_runtime_version(void) {
#ifdef VQ4J_WITH_CUDA
  return vq4j::cuda_runtime_version();
#else
  return 0;
#endif
}

int vq4j_cuda_device_info(int device, char* name, int name_capacity, long long* total_bytes, int* cc_major,
                          int* cc_minor) {
  if (name == nullptr || name_capacity < 1 || total_bytes == nullptr || cc_major == nullptr || cc_minor == nullptr)
    return VQ4J_ERR_ARGUMENT;
#ifdef VQ4J_WITH_CUDA
  return vq4j::cuda_device_info(device, name, name_capacity, total_bytes, cc_major, cc_minor);
#else
  (void)device;
  return VQ4J_ERR_UNSUPPORTED;
#endif
}

int vq4j_nccl_version(void) {
  // RTLD_LOCAL: the probe must not make NCCL's symbols visible to anything loaded later.
  void* nccl = dlopen("libnccl.so.2", RTLD_LAZY | RTLD_LOCAL);
  if (nccl == nullptr) return 0;
  int version = 0;
  using GetVersion = int (*)(int*);
  auto get = reinterpret_cast<GetVersion>(dlsym(nccl, "ncclGetVersion"));
  if (get == nullptr || get(&version) != 0) version = 0;
  dlclose(nccl);
  return version;
}

}  // extern "C"
