#!/usr/bin/env bash
# Runs the CUDA launchers of the non-conv ops on the CPU under a thread-per-CUDA-thread emulation and compares
# them with the CPU reference (bench/gpu/emu/emu_test.cpp): a check of index math, grid-stride loops,
# __syncthreads/shuffle logic, the deterministic sums, and the index-error messages, for machines without a
# GPU. It says nothing about numerics on real hardware (the math functions are glibc's, not CUDA's) nor
# about races the emulation's scheduling does not produce: the GPU check (bench/gpu-check) is the real test.
#
#   bash bench/gpu/emu/run.sh        (about 3 minutes on 2 cores; needs g++ >= 11, libopenblas-dev)
#
# How: the kernels/ tree is copied to a temp folder, every `kernel<<<cfg>>>(args)` is rewritten by
# transform.py to `emu::launch(emu::Config(cfg), [=] { kernel(args); })`, and the .cu files are compiled as
# C++ against the stand-in cuda_runtime.h of this folder.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/vq4j-emu.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$root/kernels" "$work/kernels"
mkdir -p "$work/fake" "$work/obj"
cp "$here/cuda_runtime.h" "$here/math_constants.h" "$work/fake/"
python3 "$here/transform.py" $(find "$work/kernels" -name '*.cu' -o -name '*.cuh')
flags=(-std=c++20 -O2 -march=x86-64-v2 -ffp-contract=off -fopenmp -DVQ4J_VERSION='"emu"' -w
  -I"$work/fake" -I"$work/kernels/common" -I"$work/kernels" -I"$root/native/include")
jobs=()
for f in $(find "$work/kernels" -name '*.cu' -o -name '*_cpu.cpp') "$root/native/src/context.cpp" \
  "$root/native/src/memory.cpp" "$here/emu_test.cpp"; do
  o="$work/obj/$(echo "$f" | tr '/' '_').o"
  case $f in
    *.cu) g++ "${flags[@]}" -x c++ -c "$f" -o "$o" & ;;
    *) g++ "${flags[@]}" -c "$f" -o "$o" & ;;
  esac
  jobs+=($!)
  if (( ${#jobs[@]} >= $(nproc) )); then wait "${jobs[0]}"; jobs=("${jobs[@]:1}"); fi
done
for j in "${jobs[@]}"; do wait "$j"; done
g++ -fopenmp "$work"/obj/*.o -o "$work/emu_test" -lopenblas -pthread
"$work/emu_test"
