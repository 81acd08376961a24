#!/usr/bin/env bash
# Runs the CUDA launchers of the non-conv ops on the CPU under a thread-per-CUDA-thread emulation and compares
# them with the CPU reference (bench/gpu/emu/emu_test.cpp): a check of index math, grid-stride loops,
# __syncthreads/shuffle logic, the deterministic sums, the deferred index errors, and the runtime of
# native/src/cuda_runtime.cu (contexts, staged uploads), for machines without a GPU. It says nothing about numerics on real hardware (the math functions are glibc's, not CUDA's) nor
# about races the emulation's scheduling does not produce: the GPU check (bench/gpu-check) is the real test.
#
#   bash bench/gpu/emu/run.sh        (about 3 minutes on 2 cores; needs g++ >= 11, libopenblas-dev)
#   VQ4J_EMU_ASAN=1 bash bench/gpu/emu/run.sh   (the same under AddressSanitizer: slower, catches a kernel
#                                                 that reads or writes through a bad index)
#
# How: the kernels/ tree is copied to a temp folder, every `kernel<<<cfg>>>(args)` is rewritten by
# transform.py to `emu::launch(emu::Config(cfg), [=] { kernel(args); })`, and the .cu files are compiled as
# C++ against the stand-in cuda_runtime.h of this folder. The conv engine (conv_gemm.cu, whose tensor-core
# path needs mma.h, and the conv ops over it) is left out: kernels/common/conv_gemm_emutest.cpp emulates it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/vq4j-emu.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$root/kernels" "$work/kernels"
mkdir -p "$work/fake" "$work/obj"
cp "$here/cuda_runtime.h" "$here/math_constants.h" "$work/fake/"
python3 "$here/transform.py" $(find "$work/kernels" -name '*.cu' -o -name '*.cuh')
flags=(-std=c++20 -O2 -march=x86-64-v2 -ffp-contract=off -fopenmp -DVQ4J_VERSION='"emu"' -DVQ4J_WITH_CUDA -w
  -I"$work/fake" -I"$work/kernels/common" -I"$work/kernels" -I"$root/native/include")
link=()
if [[ ${VQ4J_EMU_ASAN:-0} == 1 ]]; then
  flags+=(-fsanitize=address -fno-omit-frame-pointer -g)
  link+=(-fsanitize=address)
fi
jobs=()
sources=$(find "$work/kernels" -name '*.cu' ! -name conv_gemm.cu -exec grep -L conv_gemm.cuh {} + ;
  find "$work/kernels" -name '*_cpu.cpp')
for f in $sources "$root/native/src/context.cpp" "$root/native/src/memory.cpp" "$root/native/src/cuda_runtime.cu" \
  "$here/emu_test.cpp"; do
  o="$work/obj/$(echo "$f" | tr '/' '_').o"
  case $f in
    *.cu) g++ "${flags[@]}" -x c++ -c "$f" -o "$o" & ;;
    *) g++ "${flags[@]}" -c "$f" -o "$o" & ;;
  esac
  jobs+=($!)
  if (( ${#jobs[@]} >= $(nproc) )); then wait "${jobs[0]}"; jobs=("${jobs[@]:1}"); fi
done
for j in "${jobs[@]}"; do wait "$j"; done
g++ "${link[@]}" -fopenmp "$work"/obj/*.o -o "$work/emu_test" -lopenblas -pthread
"$work/emu_test"
