#!/usr/bin/env bash
# The prior comparison of issue 16: on the codes of one VQ-VAE checkpoint, the Gated PixelCNN prior (train-prior's
# defaults) and the Transformer prior (--preset gpt-small) each train for the same wall time (--time-limit
# MINUTES, default 10; the code encoding before and the evaluation after are not counted), then one Markdown table:
# test NLL in bits per code and the bits/dim bound (eval.txt), parameters, training steps/s (steps over the
# training loop's wall time, metrics.jsonl), and the time of `vq4j sample -n 32` (the whole command, and the
# sampling inside it), and one picture of both priors' 32 samples side by side (prior_compare.png).
#
#   VQVAE=runs/vqvae/checkpoint.safetensors bash bench/prior_compare.sh          (about 2 x MINUTES + encoding)
#   VQVAE=... MINUTES=0.5 OUT=/tmp/pc bash bench/prior_compare.sh                 (a smoke run)
#
# Extra options for both runs go in PRIOR_OPTS (e.g. "--conditioned"), for one run in PIXELCNN_OPTS or
# TRANSFORMER_OPTS (e.g. "--lr 1e-3"). Needs the jar (mvn -B -Dvq4j.cuda=OFF package -DskipTests).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
vqvae=${VQVAE:?set VQVAE to the VQ-VAE checkpoint whose codes both priors model}
minutes=${MINUTES:-10}
out=${OUT:-$root/runs/prior_compare}
vq4j="$root/bin/vq4j"
mkdir -p "$out"

declare -A opts=(
  [pixelcnn]="--model pixelcnn ${PIXELCNN_OPTS:-}"
  [transformer]="--model transformer --preset gpt-small ${TRANSFORMER_OPTS:-}"
)
for model in pixelcnn transformer; do
  dir="$out/$model"
  rm -rf "$dir"
  mkdir -p "$dir"
  # The second run reuses the first's code cache (it is keyed by the VQ-VAE's SHA-256, so it is checked).
  cp "$out"/pixelcnn/codes-*.safetensors "$dir"/ 2>/dev/null || true
  # shellcheck disable=SC2086
  "$vq4j" train-prior --vqvae "$vqvae" --out "$dir" --steps 100000000 --time-limit "$minutes" \
    --checkpoint-every 100000000 --log-every 50 ${PRIOR_OPTS:-} ${opts[$model]} >"$dir.log" 2>&1
  start=$(date +%s.%N)
  "$vq4j" sample --prior "$dir/prior.safetensors" -n 32 --columns 8 --seed 1 --out "$dir/samples32.png" \
    >"$dir.sample.log" 2>&1
  end=$(date +%s.%N)
  echo "$start $end" >"$dir.sample.time"
done

echo "| prior | parameters | steps in ${minutes} min | training steps/s | test NLL bits/code | bits/dim bound | sample 32 grids: command s (sampling s) |"
echo "|---|---|---|---|---|---|---|"
for model in pixelcnn transformer; do
  dir="$out/$model"
  e="$dir/eval.txt"
  params=$(sed -n 's/^prior *.*, \([0-9]*\) parameters$/\1/p' "$e")
  bpc=$(awk '/^test NLL/{print $3; exit}' "$e")
  bpd=$(awk '/^bits\/dim bound/{print $3; exit}' "$e")
  read -r steps rate < <(python3 - "$dir/metrics.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
s = rows[-1]["elapsed_s"]
print(rows[-1]["step"], "%.2f" % (rows[-1]["step"] / s) if s > 0 else "n/a")
PY
)
  read -r start end <"$dir.sample.time"
  cmd_s=$(python3 -c "print('%.1f' % ($end - $start))")
  sample_s=$(sed -n 's/^sampled 32 code grids in \([0-9.]*\) s.*/\1/p' "$dir.sample.log")
  echo "| $model | $params | $steps | $rate | $bpc | $bpd | $cmd_s ($sample_s) |"
done
java "$root/bench/SideBySide.java" "$out/prior_compare.png" "Gated PixelCNN" "$out/pixelcnn/samples32.png" \
  "Transformer (gpt-small)" "$out/transformer/samples32.png"
echo
echo "samples: $out/prior_compare.png; logs: $out/*.log"
