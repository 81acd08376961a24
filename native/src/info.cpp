// What `vq4j info` reports about the native side: the CPU threads and matrix-product library, the CUDA
// driver, runtime and devices (from runtime/cuda_info.cu in a CUDA build), and whether NCCL is installed.
#include <dlfcn.h>
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>

#include <cstdio>

#include "cuda_info.h"
#include "vq4j.h"

extern "C" {

int vq4j_cpu_threads(void) { return omp_get_max_threads(); }

const char* vq4j_cpu_gemm(void) {
  // The instruction set oneDNN JITs for on this processor (ONEDNN_MAX_CPU_ISA lowers it) decides the speed
  // more than the version does.
  const dnnl_version_t* v = dnnl_version();
  const char* isa;
  switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_sse41: isa = "SSE4.1"; break;
    case dnnl_cpu_isa_avx: isa = "AVX"; break;
    case dnnl_cpu_isa_avx2: isa = "AVX2"; break;
    case dnnl_cpu_isa_avx2_vnni: isa = "AVX2 VNNI"; break;
    case dnnl_cpu_isa_avx512_core: isa = "AVX-512"; break;
    case dnnl_cpu_isa_avx512_core_vnni: isa = "AVX-512 VNNI"; break;
    case dnnl_cpu_isa_avx512_core_bf16: isa = "AVX-512 BF16"; break;
    case dnnl_cpu_isa_avx512_core_amx: isa = "AVX-512 AMX"; break;
    default: isa = "other"; break;
  }
  static char text[128];
  std::snprintf(text, sizeof text, "oneDNN %d.%d.%d (%s)", v->major, v->minor, v->patch, isa);
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
