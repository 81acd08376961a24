#!/usr/bin/env bash
# The main job on a fresh machine: installs what is missing, builds the jars, then trains the "sonnet"
# VQ-VAE on Fashion-MNIST on the CPU (3000 steps of batch 32, about 3 minutes on 2 cores) and evaluates it on
# the whole test set. Everything lands in runs/fashion-mnist/: checkpoint.safetensors, metrics.jsonl,
# eval.txt, code_usage.csv, loss.png, reconstructions.png. Extra arguments go to `vq4j train`
# (e.g. --steps 5000, --ema, --device cuda); an existing run in the folder is resumed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mvn -B -DskipTests package
out=runs/fashion-mnist
if [ -f "$out/checkpoint.safetensors" ]; then
  java --enable-native-access=ALL-UNNAMED -jar target/vq4j-0.1.0-all.jar train --out "$out" --resume "$@"
else
  java --enable-native-access=ALL-UNNAMED -jar target/vq4j-0.1.0-all.jar train --out "$out" "$@"
fi
