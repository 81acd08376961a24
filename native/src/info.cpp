// What `vq4j info` reports about the native side: the CPU threads and matrix-product library, the CUDA
// driver, runtime and devices (from runtime/cuda_info.cu in a CUDA build), and whether NCCL is installed.
#include <oneapi/dnnl/dnnl.h>
#include <dlfcn.h>
#include <omp.h>

#include <cstdio>

#include "cuda_info.h"
#include "vq4j.h"

extern "C" {

int vq4j_cpu_threads(void) { return omp_get_max_threads(); }

namespace {

const char* isa_name(dnnl_cpu_isa_t isa) {
  switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "generic";
  }
}

}  // namespace

const char* vq4j_cpu_gemm(void) {
  // The ISA is what oneDNN's JIT uses on this CPU (DNNL_MAX_CPU_ISA may cap it): it decides the speed more
  // than the version does.
  static char text[256];
  const dnnl_version_t* v = dnnl_version();
  std::snprintf(text, sizeof text, "oneDNN %d.%d.%d (isa %s)", v->major, v->minor, v->patch,
                isa_name(dnnl_get_effective_cpu_isa()));
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
