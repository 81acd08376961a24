#!/usr/bin/env bash
# Runs every test on a fresh machine: installs what is missing, builds the native library (with the CUDA
# kernels when nvcc is on PATH), runs the native tests (ctest: the op harness on the CPU backends and the
# CPU reference's own tests) and the JUnit suite, packages the jars, then runs the emulated CUDA check of
# every kernel (tests/emu/run.sh: the op harness on two CPU-emulated CUDA devices), the only check the
# CUDA kernels get on a machine without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mvn -B verify "$@"
bash tests/emu/run.sh
