#!/usr/bin/env bash
# Runs the CUDA launchers of the non-conv ops on the CPU under a thread-per-CUDA-thread emulation and compares
# them with the CPU reference (bench/gpu/emu/emu_test.cpp): a check of index math, grid-stride loops,
# __syncthreads/shuffle logic, the deterministic sums, the deferred index errors, and the runtime of
# runtime/cuda_runtime.cu (contexts, staged uploads), for machines without a GPU. It says nothing about numerics on real hardware (the math functions are glibc's, not CUDA's) nor
# about races the emulation's scheduling does not produce: the GPU check (bench/gpu-check) is the real test.
#
#   bash bench/gpu/emu/run.sh        (about 3 minutes on 2 cores; needs g++ >= 11, libdnnl-dev)
#   VQ4J_EMU_ASAN=1 bash bench/gpu/emu/run.sh   (the same under AddressSanitizer: slower, catches a kernel
#                                                 that reads or writes through a bad index)
#
# How: the kernels/ tree is copied to a temp folder, every `kernel<<<cfg>>>(args)` is rewritten by
# transform.py to `emu::launch(emu::Config(cfg), [=] { kernel(args); })`, and the .cu files are compiled as
# C++ against the stand-in cuda_runtime.h of this folder (build.sh, shared with java.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/vq4j-emu.XXXXXX")
trap 'rm -rf "$work"' EXIT
source "$here/build.sh"
emu_prepare "$work"
# The conv engine and the conv ops over it are not needed here: java.sh and
# kernels/common/conv_gemm_emutest.cpp cover them.
emu_compile $(find "$work/kernels" -name '*.cu' ! -name conv_gemm.cu -exec grep -L conv_gemm.cuh {} + ;
  find "$work/kernels" -name '*_cpu.cpp' -o -name '*_dnnl.cpp'; find "$work/runtime" -name '*.cpp' -o -name '*.cu') \
  "$root/native/src/context.cpp" "$root/native/src/memory.cpp" "$here/emu_test.cpp"
g++ "${link[@]}" -fopenmp "$work"/obj/*.o -o "$work/emu_test" -ldnnl -pthread
"$work/emu_test"
