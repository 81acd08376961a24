# vq4j::dnnl: oneDNN, the CPU fast path of the convolutions (kernels/common/conv_dnnl.h). Required: Debian's
# libdnnl-dev (oneDNN 2.6, OpenMP runtime, so its threads are libgomp's, shared with vq4j's loops and
# OpenBLAS), which scripts/setup.sh installs. Its shared library travels beside libvq4j.so into the jar the
# way libgomp does, with the OpenCL loader it links against (never called: vq4j asks for a CPU engine only),
# so a host needs nothing but a JRE.
find_path(VQ4J_DNNL_INCLUDE oneapi/dnnl/dnnl.hpp)
find_library(VQ4J_DNNL_LIBRARY NAMES dnnl)
if(NOT VQ4J_DNNL_INCLUDE OR NOT VQ4J_DNNL_LIBRARY)
  message(FATAL_ERROR "oneDNN not found: run scripts/setup.sh (Debian package libdnnl-dev)")
endif()
file(STRINGS "${VQ4J_DNNL_INCLUDE}/oneapi/dnnl/dnnl_config.h" VQ4J_DNNL_RUNTIME
     REGEX "^#define DNNL_CPU_RUNTIME ")
if(NOT VQ4J_DNNL_RUNTIME MATCHES "DNNL_RUNTIME_OMP")
  message(FATAL_ERROR "oneDNN at ${VQ4J_DNNL_LIBRARY} is not its OpenMP build (${VQ4J_DNNL_RUNTIME}): its "
                      "threads would spin against vq4j's OpenMP threads")
endif()
add_library(vq4j::dnnl INTERFACE IMPORTED)
target_include_directories(vq4j::dnnl INTERFACE ${VQ4J_DNNL_INCLUDE})
target_link_libraries(vq4j::dnnl INTERFACE ${VQ4J_DNNL_LIBRARY})
message(STATUS "vq4j: oneDNN ${VQ4J_DNNL_LIBRARY}")

# Copies libdnnl.so.2 and the libraries it needs that a bare host may lack into dir.
function(vq4j_copy_dnnl_runtime dir)
  get_filename_component(real "${VQ4J_DNNL_LIBRARY}" REALPATH)
  get_filename_component(libdir "${real}" DIRECTORY)
  file(COPY "${libdir}/libdnnl.so.2" DESTINATION "${dir}" FOLLOW_SYMLINK_CHAIN)
  find_library(VQ4J_OPENCL_LIBRARY NAMES libOpenCL.so.1 OpenCL)
  if(NOT VQ4J_OPENCL_LIBRARY)
    message(FATAL_ERROR "libOpenCL.so.1, which libdnnl.so.2 links against, not found (Debian ocl-icd-libopencl1)")
  endif()
  file(COPY "${VQ4J_OPENCL_LIBRARY}" DESTINATION "${dir}" FOLLOW_SYMLINK_CHAIN)
endfunction()
