#!/usr/bin/env bash
# Installs what building and testing vq4j needs, from Debian's packages: a JDK 17, Maven, CMake, g++,
# oneDNN, Gloo (the CPU communicator of data-parallel training) and the Fashion-MNIST data set.
# Idempotent: installs only what is missing; runs as root, or
# through sudo when it exists. nvcc is not installed here: CUDA kernels are compiled whenever it is on PATH.
set -euo pipefail

missing=()
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

have_cmd javac || missing+=(openjdk-17-jdk-headless)
have_cmd mvn || missing+=(maven)
have_cmd cmake || missing+=(cmake)
have_cmd g++ || missing+=(g++)
have_cmd ctest || missing+=(cmake)
# oneDNN: the convolutions' CPU fast path and every CPU matrix product (see cmake/Vq4jDnnl.cmake).
have_pkg libdnnl-dev || missing+=(libdnnl-dev)
# Gloo: CPU collectives for data-parallel training (cmake/Vq4jGloo.cmake; optional for the build, needed
# by the distributed tests).
have_pkg libgloo-dev || missing+=(libgloo-dev)
[ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] || missing+=(dataset-fashion-mnist)

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: everything vq4j needs is installed"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif have_cmd sudo; then
  as_root=(sudo)
else
  echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}"
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
