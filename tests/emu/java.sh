#!/usr/bin/env bash
# Runs the Java GPU tests (the ones a machine without a GPU skips) against an emulated CUDA device: builds a
# libvq4j.so whose CUDA launchers run on the CPU under this folder's thread-per-CUDA-thread emulation
# (see run.sh and cuda_runtime.h), and runs the CUDA-relevant JUnit classes with the JVM loading that
# library instead of target/classes' one. It exercises the whole Java -> JNI -> C API -> CUDA launcher path:
# device memory, staged uploads, deferred index errors surfacing as Java exceptions, host-sync counting,
# checkpoints moved between devices, and the conv engine (conv_gemm.cu and the three conv ops over it).
#
# What it cannot show: numerics on real hardware (glibc's math, not CUDA's; the intrinsics are plain
# operations), races the emulation's scheduling does not produce (one block at a time, launches run at
# once), launch-resource limits other than the grid/block sizes, and the TF32 tensor-core conv path (its
# body exists only in the device pass; the emulated device reports compute capability 7.0, so
# VQ4J_CONV_TF32=1 runs FP32). Timings mean nothing. The GPU check (bench/gpu-check) is the real test.
#
#   bash tests/emu/java.sh                      (the 18 classes holding every test that a machine
#                                                      without a GPU skips: 137 of their 222 tests)
#   bash tests/emu/java.sh 'CudaOpsParityTest'   (a surefire -Dtest selection instead)
#   VQ4J_EMU_ASAN=1 bash tests/emu/java.sh       (the library under AddressSanitizer: catches a kernel
#                                                      or launcher that reads or writes through a bad index)
#
# Needs g++ >= 11, libdnnl-dev, and a built tree (mvn -B -o -DskipTests package): the JNI glue and the
# test classes come from target/. Times on 2 cores: the library builds in about 10 s; CudaConvParityTest
# takes about 7 minutes (its N = 32 shapes: 1024 blocks of 256 threads per GEMM), CudaOpsParityTest
# about 2, CudaTrainingTest 40 s, the rest seconds: about 10 minutes in all. Under ASan, about 14:
# CudaConvParityTest 8 1/2, CudaOpsParityTest 2 1/2, CudaTrainingTest 2 1/2.
#
# How: the kernels/ tree is copied to a temp folder and transformed as in run.sh; every source CMake puts
# into libvq4j.so with CUDA on is compiled against the stand-in headers of this folder and linked into
# $work/lib/libvq4j.so (soname libvq4j.so, as CMake's). JavaCPP's Loader searches java.library.path before
# the class path when org.bytedeco.javacpp.pathsFirst is true, so it loads that libvq4j.so; the JNI glue
# then comes from target/classes, and its DT_NEEDED libvq4j.so resolves, by soname, to the library already
# loaded. The library's vq4j_version() is "emu", and the script prints the path JavaCPP logged for it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tests=${1:-'CudaOpsParityTest,CudaConvParityTest,*OpTest,OpsErrorTest,TensorTest,CudaTrainingTest,HostSyncTest'}
if [[ ! -f $root/target/classes/ai/vq4j/bridge/linux-x86_64/libjniVq4jNative.so || ! -d $root/target/test-classes ]]; then
  echo "java.sh: build the project first: mvn -B -o -DskipTests package" >&2
  exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/vq4j-emu-java.XXXXXX")
trap 'rm -rf "$work"' EXIT
source "$here/build.sh"
emu_prepare "$work"
mkdir -p "$work/lib"
flags+=(-fPIC)
jvm=()
if [[ ${VQ4J_EMU_ASAN:-0} == 1 ]]; then
  # The JVM is not instrumented: the ASan runtime is preloaded into the forked test JVM alone, through a
  # java wrapper named by surefire's jvm parameter. The JVM keeps its own SIGSEGV handling (its implicit
  # null checks rely on it), and leak checking would report the JVM's own allocations.
  mkdir -p "$work/asan/bin"
  printf '#!/bin/sh\nLD_PRELOAD=%s ASAN_OPTIONS=detect_leaks=0:handle_segv=0:allow_user_segv_handler=1 exec %s "$@"\n' \
    "$(g++ -print-file-name=libasan.so)" "$(readlink -f "$(command -v java)")" > "$work/asan/bin/java"
  chmod +x "$work/asan/bin/java"
  jvm=(-Djvm="$work/asan/bin/java")
  # ASan's quarantine keeps up to 256 MB of freed memory resident, which is what this CPU test bounds.
  [[ $# == 0 ]] && tests+=',!TensorTest#closedTensorsGiveTheirMemoryBack'
fi
start=$SECONDS
emu_compile $(find "$work/kernels" -name '*.cu' -o -name '*_cpu.cpp' -o -name '*_dnnl.cpp'; find "$work/runtime" -name '*.cpp' -o -name '*.cu') \
  "$work"/comm/*.cu "$root"/native/src/*.cpp
g++ "${link[@]}" -shared -fopenmp -Wl,-soname,libvq4j.so -Wl,--no-undefined "$work"/obj/*.o -o "$work/lib/libvq4j.so" \
  -ldnnl -pthread
# The Gloo communicator (CPU collectives, and Gloo through host copies for a CUDA device) is the build's: the
# emulated library opens it from beside itself.
cp "$root/target/classes/ai/vq4j/bridge/linux-x86_64/libvq4j_gloo.so" "$work/lib/" 2>/dev/null || true
echo "java.sh: built $work/lib/libvq4j.so in $((SECONDS - start)) s"

# -DargLine replaces the pom's argLine, so its flags are repeated here.
argline="-Dorg.bytedeco.javacpp.cachedir=$root/target/javacpp-cache --enable-native-access=ALL-UNNAMED -Xss4m"
argline+=" -Dorg.bytedeco.javacpp.pathsFirst=true -Djava.library.path=$work/lib -Dorg.bytedeco.javacpp.logger.debug=true"
start=$SECONDS
set +e
# JavaCPP's debug log (stderr) names every library it loads; the rest of it is dropped.
(cd "$root" && mvn -B -o -Dstyle.color=never surefire:test "${jvm[@]}" -Dtest="$tests" -Dsurefire.failIfNoSpecifiedTests=false \
  -DargLine="$argline" 2>&1) | tee "$work/mvn.log" | grep -v 'Debug: '
status=${PIPESTATUS[0]}
set -e
echo "java.sh: tests ran in $((SECONDS - start)) s; libvq4j.so loaded from:"
grep -o 'Loading [^ ]*libvq4j\.so[^ ]*' "$work/mvn.log" | sort | uniq -c
exit "$status"
