#!/usr/bin/env bash
# Runs every test on a fresh machine: installs what is missing, builds the native library (with the CUDA
# kernels when nvcc is on PATH), runs the native self-tests (ctest) and the JUnit suite, and packages the jars.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mvn -B verify "$@"
