#!/usr/bin/env bash
# Runs every test on a fresh machine: installs what is missing, builds the native library (with the CUDA
# kernels when nvcc is on PATH), runs the native self-tests (ctest) and the JUnit suite, packages the jars
# and installs ai.vq4j:vq4j into ~/.m2; then prints `vq4j info` and compiles and runs the examples against
# what was just installed (examples/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mvn -B install "$@"
bin/vq4j info
bash examples/run.sh
