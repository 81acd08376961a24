#!/usr/bin/env bash
# The main job on a fresh machine: installs what is missing, builds the jars, links the vq4j command into
# ~/.local/bin, then trains the "sonnet" VQ-VAE on Fashion-MNIST on the CPU (3000 steps of batch 32, about 3
# minutes on 2 cores) and evaluates it on the whole test set. Everything lands in runs/fashion-mnist/:
# checkpoint.safetensors, metrics.jsonl, eval.txt, code_usage.csv, loss.png, reconstructions.png. Extra
# arguments go to `vq4j train` (e.g. --steps 5000, --ema, --device cuda); an existing run in the folder is
# resumed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mvn -B -DskipTests package
bash scripts/install-launcher.sh
out=runs/fashion-mnist
if [ -f "$out/checkpoint.safetensors" ]; then
  bin/vq4j train --out "$out" --resume "$@"
else
  bin/vq4j train --out "$out" "$@"
fi
