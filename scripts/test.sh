#!/usr/bin/env bash
# Runs every test on a fresh machine: installs what is missing, builds the native library (with the CUDA
# kernels when nvcc is on PATH), runs the native tests (ctest: the op harness on the CPU backends and the
# CPU reference's own tests) and the JUnit suite, packages the jars and installs ai.vq4j:vq4j into ~/.m2;
# then prints `vq4j info`, compiles and runs the examples against what was just installed
# (examples/run.sh), and runs the emulated CUDA check of every kernel (tests/emu/run.sh: the op harness on
# two CPU-emulated CUDA devices), the only check the CUDA kernels get on a machine without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mvn -B install "$@"
bin/vq4j info
bash examples/run.sh
bash tests/emu/run.sh
