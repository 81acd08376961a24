# Sourced by run.sh and java.sh: the build steps they share. Needs $here (this folder) and $root (the
# repository root) set by the caller.
#
#   emu_prepare WORK   copies kernels/, runtime/ and comm/ to WORK, rewrites their launches (transform.cpp), puts the stand-in CUDA
#                      headers in WORK/fake, and sets the arrays flags (compile) and link (AddressSanitizer
#                      in both when VQ4J_EMU_ASAN=1)
#   emu_compile FILE.. compiles each file (a .cu as C++) into WORK/obj, nproc at a time

emu_prepare() {
  work=$1
  cp -r "$root/kernels" "$work/kernels"
  cp -r "$root/runtime" "$work/runtime"
  cp -r "$root/comm" "$work/comm"
  mkdir -p "$work/fake" "$work/obj"
  cp "$here/cuda_runtime.h" "$here/math_constants.h" "$here/mma.h" "$work/fake/"
  g++ -std=c++17 -O1 "$here/transform.cpp" -o "$work/transform"
  "$work/transform" $(find "$work/kernels" "$work/runtime" "$work/comm" -name '*.cu' -o -name '*.cuh')
  flags=(-std=c++20 -O2 -march=x86-64-v2 -ffp-contract=off -fopenmp -DVQ4J_VERSION='"emu"' -DVQ4J_WITH_CUDA -DVQ4J_EMU -w
    -I"$work/fake" -I"$work/runtime" -I"$work/kernels/common" -I"$work/kernels" -I"$work/comm" -I"$root/native/include" -I"$root/tests/native/harness")
  link=()
  if [[ ${VQ4J_EMU_ASAN:-0} == 1 ]]; then
    flags+=(-fsanitize=address -fno-omit-frame-pointer -g)
    link+=(-fsanitize=address)
  fi
}

emu_compile() {
  local f o jobs=()
  for f in "$@"; do
    o="$work/obj/$(echo "$f" | tr '/' '_').o"
    case $f in
      *.cu) g++ "${flags[@]}" -x c++ -c "$f" -o "$o" & ;;
      *) g++ "${flags[@]}" -c "$f" -o "$o" & ;;
    esac
    jobs+=($!)
    if (( ${#jobs[@]} >= $(nproc) )); then wait "${jobs[0]}"; jobs=("${jobs[@]:1}"); fi
  done
  for o in "${jobs[@]}"; do wait "$o"; done
}
