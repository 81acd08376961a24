# vq4j::blas: OpenBLAS for the CPU matrix products. The static archive is preferred so that the jar's
# libvq4j.so needs no BLAS installed on the host; the shared library is the fallback. The OpenMP build of
# OpenBLAS (Debian libopenblas-openmp-dev) comes first: it shares libgomp's threads with vq4j's own OpenMP
# loops. With the pthreads build the two pools spin against each other on every call: a sonnet training
# step took 264 ms instead of 80 on 2 cores.
find_path(VQ4J_CBLAS_INCLUDE cblas.h
  PATHS /usr/include/x86_64-linux-gnu/openblas-openmp /usr/include/x86_64-linux-gnu/openblas-pthread
        /usr/include/openblas /usr/include
  NO_DEFAULT_PATH)
find_library(VQ4J_OPENBLAS_STATIC NAMES libopenblas.a NO_DEFAULT_PATH
  PATHS /usr/lib/x86_64-linux-gnu/openblas-openmp /usr/lib/x86_64-linux-gnu/openblas-pthread /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib)
find_library(VQ4J_OPENBLAS_SHARED NAMES openblas NO_DEFAULT_PATH
  PATHS /usr/lib/x86_64-linux-gnu/openblas-openmp /usr/lib/x86_64-linux-gnu/openblas-pthread /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib)
if(NOT VQ4J_CBLAS_INCLUDE OR NOT (VQ4J_OPENBLAS_STATIC OR VQ4J_OPENBLAS_SHARED))
  message(FATAL_ERROR "OpenBLAS not found: run scripts/setup.sh (Debian package libopenblas-dev)")
endif()
add_library(vq4j::blas INTERFACE IMPORTED)
target_include_directories(vq4j::blas INTERFACE ${VQ4J_CBLAS_INCLUDE})
find_package(Threads REQUIRED)
if(VQ4J_OPENBLAS_STATIC)
  target_link_libraries(vq4j::blas INTERFACE ${VQ4J_OPENBLAS_STATIC} OpenMP::OpenMP_CXX Threads::Threads m)
  message(STATUS "vq4j: OpenBLAS (static) ${VQ4J_OPENBLAS_STATIC}")
else()
  target_link_libraries(vq4j::blas INTERFACE ${VQ4J_OPENBLAS_SHARED})
  message(STATUS "vq4j: OpenBLAS (shared) ${VQ4J_OPENBLAS_SHARED}")
endif()
