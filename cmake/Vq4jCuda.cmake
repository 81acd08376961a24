# Enables CUDA when VQ4J_CUDA is ON and nvcc is found (PATH or CUDACXX); sets VQ4J_WITH_CUDA.
#
# Architectures (CUDA 13 supports sm_75 and newer):
#   75-real   Turing (T4, RTX 20xx)
#   80-real   Ampere A100
#   86-real   Ampere consumer (RTX 30xx, A10, A40)
#   89-real   Ada (L4, L40, RTX 40xx)
#   90a-real  Hopper H100/H200, with the arch-specific features (wgmma, TMA) later kernels may use
#   90-virtual PTX that newer GPUs (Blackwell) JIT-compile at load time
# Override with -DCMAKE_CUDA_ARCHITECTURES=... to build faster for one GPU.
set(VQ4J_WITH_CUDA OFF)
if(VQ4J_CUDA)
  # nvcc is normally on PATH; the toolkit's default home is the fallback.
  if(NOT DEFINED ENV{CUDACXX} AND NOT CMAKE_CUDA_COMPILER)
    find_program(VQ4J_NVCC nvcc PATHS /usr/local/cuda/bin)
    if(VQ4J_NVCC)
      set(ENV{CUDACXX} ${VQ4J_NVCC})
    endif()
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 75-real 80-real 86-real 89-real 90a-real 90-virtual)
    endif()
    enable_language(CUDA)
    set(CMAKE_CUDA_STANDARD 17)
    # Static runtime: libvq4j.so then loads without libcudart, so one binary serves CPU-only machines.
    set(CMAKE_CUDA_RUNTIME_LIBRARY Static)
    set(VQ4J_WITH_CUDA ON)
    message(STATUS "vq4j: CUDA ${CMAKE_CUDA_COMPILER_VERSION}, architectures ${CMAKE_CUDA_ARCHITECTURES}")
  else()
    message(STATUS "vq4j: nvcc not found, building the CPU backend only")
  endif()
else()
  message(STATUS "vq4j: VQ4J_CUDA=OFF, building the CPU backend only")
endif()
