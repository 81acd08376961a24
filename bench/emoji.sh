#!/usr/bin/env bash
# 64x64 colour images: trains the sonnet VQ-VAE on the emoji set (scripts/get-emoji.sh) at --downsample 8
# (8x8 codes) and 4 (16x16 codes), then on each run's codes: encode the test split, decode it, train a
# class-conditioned PixelCNN prior, and sample from it. Short runs (the README's "64x64 colour images" figures).
# Usage: bash bench/emoji.sh [data-folder] [out-folder]; STEPS, BATCH, PRIOR_STEPS, PRIOR_BATCH override the
# lengths; PREFIX is put before every command (the project machine uses PREFIX=/work/wt/quiet-wait). A step whose
# output exists is skipped, so an interrupted script continues where it stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-data/emoji}
out=${2:-runs/emoji}
steps=${STEPS:-400}
batch=${BATCH:-16}
prior_steps=${PRIOR_STEPS:-100}
prior_batch=${PRIOR_BATCH:-32}
run() { echo "+ $*"; ${PREFIX:-} "$@"; }

bash scripts/get-emoji.sh "$data"
mkdir -p "$out"
for ds in 8 4; do
  vae=$out/vqvae-ds$ds
  start=$(date +%s)
  [ -f "$vae/eval.txt" ] || run bin/vq4j train --data emoji --data-dir "$data" --downsample "$ds" \
      --batch-size "$batch" --steps "$steps" --log-every 50 --checkpoint-every 1000 --out "$vae"
  echo "train ds$ds: $(( $(date +%s) - start )) s wall"
  [ -f "$out/codes-ds$ds.safetensors" ] || run bin/vq4j encode --checkpoint "$vae/checkpoint.safetensors" \
      --data emoji --data-dir "$data" --split test --out "$out/codes-ds$ds.safetensors"
  run bin/vq4j decode --checkpoint "$vae/checkpoint.safetensors" --codes "$out/codes-ds$ds.safetensors" --limit 16 \
      --columns 8 --out "$out/decoded-ds$ds.png"
  start=$(date +%s)
  [ -f "$out/prior-ds$ds/eval.txt" ] || run bin/vq4j train-prior --vqvae "$vae/checkpoint.safetensors" --data emoji \
      --data-dir "$data" --conditioned --steps "$prior_steps" --batch-size "$prior_batch" --log-every 25 \
      --checkpoint-every 1000 --out "$out/prior-ds$ds"
  echo "prior ds$ds: $(( $(date +%s) - start )) s wall"
  run bin/vq4j sample --prior "$out/prior-ds$ds/prior.safetensors" -n 18 --columns 9 --out "$out/samples-ds$ds.png"
done
