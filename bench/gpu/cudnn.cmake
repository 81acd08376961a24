# Finds cuDNN 9 for the optional benchmark bench/gpu/conv_bench.cu; never fails. Sets
#   VQ4J_CUDNN_FOUND, VQ4J_CUDNN_INCLUDE_DIR (cudnn.h), VQ4J_CUDNN_LIBRARY (libcudnn.so.9), VQ4J_CUDNN_VERSION.
# Looks in, in order: -DCUDNN_ROOT=... and $ENV{CUDNN_ROOT} (folders holding include/ and lib/ or lib64/),
# the nvidia-cudnn-cu13 / -cu12 Python wheel layout .../site-packages/nvidia/cudnn/{include,lib} of the
# python3 on PATH (PyTorch's environment on the GPU machine), then the system (/usr/include, the CUDA toolkit).
set(VQ4J_CUDNN_FOUND OFF)
set(_vq4j_cudnn_hints)
if(CUDNN_ROOT)
  list(APPEND _vq4j_cudnn_hints "${CUDNN_ROOT}")
endif()
if(DEFINED ENV{CUDNN_ROOT})
  list(APPEND _vq4j_cudnn_hints "$ENV{CUDNN_ROOT}")
endif()
find_program(VQ4J_PYTHON3 NAMES python3)
mark_as_advanced(VQ4J_PYTHON3)
if(VQ4J_PYTHON3)
  # find_spec does not import cuDNN (nor torch): it only locates the wheel's folder.
  execute_process(
    COMMAND "${VQ4J_PYTHON3}" -c
      "import importlib.util as u\ntry:\n s = u.find_spec('nvidia.cudnn')\nexcept Exception:\n s = None\nprint(list(s.submodule_search_locations)[0] if s and s.submodule_search_locations else '')"
    OUTPUT_VARIABLE _vq4j_cudnn_wheel OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET TIMEOUT 20)
  if(_vq4j_cudnn_wheel)
    list(APPEND _vq4j_cudnn_hints "${_vq4j_cudnn_wheel}")
  endif()
endif()
find_path(VQ4J_CUDNN_INCLUDE_DIR cudnn.h
  HINTS ${_vq4j_cudnn_hints} PATH_SUFFIXES include
  PATHS /usr/local/cuda /usr/include/x86_64-linux-gnu)
find_library(VQ4J_CUDNN_LIBRARY NAMES cudnn libcudnn.so.9
  HINTS ${_vq4j_cudnn_hints} PATH_SUFFIXES lib lib64 lib/x86_64-linux-gnu
  PATHS /usr/local/cuda)
mark_as_advanced(VQ4J_CUDNN_INCLUDE_DIR VQ4J_CUDNN_LIBRARY)
if(VQ4J_CUDNN_INCLUDE_DIR AND VQ4J_CUDNN_LIBRARY)
  set(_vq4j_cudnn_vh "${VQ4J_CUDNN_INCLUDE_DIR}/cudnn_version.h")
  if(NOT EXISTS "${_vq4j_cudnn_vh}")
    set(_vq4j_cudnn_vh "${VQ4J_CUDNN_INCLUDE_DIR}/cudnn.h")
  endif()
  file(STRINGS "${_vq4j_cudnn_vh}" _vq4j_cudnn_v REGEX "^#define CUDNN_(MAJOR|MINOR|PATCHLEVEL) +[0-9]+")
  string(REGEX REPLACE ".*CUDNN_MAJOR +([0-9]+).*" "\\1" _maj "${_vq4j_cudnn_v}")
  string(REGEX REPLACE ".*CUDNN_MINOR +([0-9]+).*" "\\1" _min "${_vq4j_cudnn_v}")
  string(REGEX REPLACE ".*CUDNN_PATCHLEVEL +([0-9]+).*" "\\1" _pat "${_vq4j_cudnn_v}")
  set(VQ4J_CUDNN_VERSION "${_maj}.${_min}.${_pat}")
  if(_maj GREATER_EQUAL 9)
    set(VQ4J_CUDNN_FOUND ON)
  else()
    message(STATUS "vq4j: cuDNN ${VQ4J_CUDNN_VERSION} at ${VQ4J_CUDNN_INCLUDE_DIR} is older than 9: ignored")
  endif()
endif()
