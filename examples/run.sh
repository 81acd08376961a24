#!/usr/bin/env bash
# Compiles and runs every example against what the build just made, each within a time limit:
#   QuantizePatches.java  java's source launcher with the -all jar on the class path;
#   host-app/             a Maven project that depends on ai.vq4j:vq4j by coordinates, so `mvn install` must
#                         have put it into ~/.m2 (scripts/test.sh does).
# Extra arguments go to the host app's Maven build (e.g. -o).
set -euo pipefail
cd "$(dirname "$0")/.."
jars=(target/vq4j-*-all.jar)
if [ ! -f "${jars[-1]}" ]; then
  echo "examples: no target/vq4j-*-all.jar: run 'mvn -B install' first" >&2
  exit 1
fi
echo "examples: QuantizePatches.java"
timeout 300 java --enable-native-access=ALL-UNNAMED -cp "${jars[-1]}" examples/QuantizePatches.java
echo "examples: host-app (against ai.vq4j:vq4j from the local Maven repository)"
timeout 600 mvn -B -f examples/host-app/pom.xml "$@" compile exec:exec@run
