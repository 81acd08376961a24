// What `vq4j info` reports about the native side: the CPU threads and fast path (oneDNN and the instruction
// set it dispatches to), the CUDA driver, runtime and devices (from runtime/cuda_info.cu in a CUDA build),
// and whether NCCL and the Gloo communicator load.
#include <dlfcn.h>
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>

#include <cstdio>
#include <string>

#include "comm_backends.h"

#include "cuda_info.h"
#include "vq4j.h"

extern "C" {

int vq4j_cpu_threads(void) { return omp_get_max_threads(); }

const char* vq4j_cpu_fast_path(void) {
  // The instruction set oneDNN dispatches its kernels to decides the speed (ONEDNN_MAX_CPU_ISA caps it).
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
  const dnnl_version_t* v = dnnl_version();
  static char text[160];
  std::snprintf(text, sizeof text, "oneDNN %d.%d.%d (%s kernels, %s runtime) for convolutions and matrix products",
                v->major, v->minor, v->patch, isa, v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "non-OpenMP");
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

const char* vq4j_gloo_status(void) {
  static std::string why;
  static const char* status = vq4j::gloo_api(&why) != nullptr ? "" : why.c_str();
  return status;
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
