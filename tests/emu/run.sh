#!/usr/bin/env bash
# The emulated CUDA check of every kernel, run by CI (scripts/test.sh): builds the library's CUDA launchers
# and runtime (kernels/, runtime/) against this folder's thread-per-CUDA-thread emulation of the CUDA
# runtime, so they run on the CPU, and runs
#   - the op harness (tests/native/harness) on the emulated devices: every case of tests/ops/cases.txt
#     except tier=gpu, on two emulated CUDA contexts (device ids 0 and 1) against the CPU reference; before
#     every op the harness makes the other device current, and the emulator counts a launch into another
#     device's stream as a failure (every op must select its context's device);
#   - runtime_test.cpp: what the case file cannot say: the deferred index and finiteness errors (reported
#     at the next synchronisation with the CPU's message, the first of a window winning, a full window),
#     ties in the argmin, the staged uploads and their pinned buffers, zero counts.
# For machines without a GPU: a check of index math, grid-stride loops, __syncthreads/shuffle logic and the
# deterministic sums. It says nothing about numerics on real hardware (the math functions are glibc's,
# not CUDA's) nor about races the emulation's scheduling does not produce: the GPU check (bench/gpu-check)
# is the real test.
#
#   bash tests/emu/run.sh                       (needs g++ >= 11, libdnnl-dev)
#   bash tests/emu/run.sh --filter=conv2d       (arguments go to the op harness)
#   VQ4J_EMU_ASAN=1 bash tests/emu/run.sh       (the same under AddressSanitizer: slower, catches a kernel
#                                                that reads or writes through a bad index)
#
# How: kernels/ and runtime/ are copied to a temp folder, every `kernel<<<cfg>>>(args)` is rewritten by
# transform.cpp to `emu::launch(emu::Config(cfg), [=] { kernel(args); })`, and the .cu files are compiled as
# C++ against the stand-in cuda_runtime.h of this folder (build.sh, shared with java.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/vq4j-emu.XXXXXX")
trap 'rm -rf "$work"' EXIT
source "$here/build.sh"
emu_prepare "$work"
start=$SECONDS
# The C API without comm.cpp (the communicator's NCCL side is not emulated, and no op needs it) and without
# info.cpp (the build report, whose Gloo status is comm.cpp's).
emu_compile $(find "$work/kernels" "$work/runtime" -name '*.cu' -o -name '*.cpp'; ls "$root"/native/src/*.cpp | grep -v -e '/comm.cpp$' -e '/info.cpp$') \
  "$root"/tests/native/harness/*.cpp "$here/runtime_test.cpp"
# Two programs over one set of library objects: each main() is in its own object.
lib=$(ls "$work"/obj/*.o | grep -v -e '_tests_native_harness_' -e '_runtime_test.cpp.o$')
g++ "${link[@]}" -fopenmp $lib "$work"/obj/*_tests_native_harness_*.o -o "$work/op_harness" -ldnnl -pthread
g++ "${link[@]}" -fopenmp $lib "$work"/obj/*_runtime_test.cpp.o -o "$work/runtime_test" -ldnnl -pthread
echo "emu: built in $((SECONDS - start)) s"
status=0
start=$SECONDS
"$work/runtime_test" || status=1
echo "emu: runtime_test ran in $((SECONDS - start)) s"
start=$SECONDS
"$work/op_harness" --cases="$root/tests/ops/cases.txt" "$@" || status=1
echo "emu: op_harness ran in $((SECONDS - start)) s"
exit $status
