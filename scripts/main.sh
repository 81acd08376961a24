#!/usr/bin/env bash
# The main job on a fresh machine: installs what is missing, builds the jars, and runs the example that
# vector-quantises real Fashion-MNIST patches through the jar's native ops.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mvn -B -DskipTests package "$@"
java --enable-native-access=ALL-UNNAMED -cp target/vq4j-0.1.0-all.jar examples/QuantizePatches.java
