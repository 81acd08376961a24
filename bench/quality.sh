#!/usr/bin/env bash
# The quality table of issue 14: Fashion-MNIST, the sonnet net, seed 1, batch 32, the same step budget for
# every quantizer option: plain VQ, EMA, each new option alone and the combinations. Each run writes its
# folder under $OUT (default runs/quality); the table is read from their eval.txt (test PSNR, MSE and the
# uniform-prior bits/dim over the native 28x28 image, perplexity, codes used of K) and metrics.jsonl (steps/s
# = steps / wall time of the run).
#
#   bash bench/quality.sh 3000          (about 3 min a run on the 2-core machine when it is quiet: 9 runs)
#   bash bench/quality.sh 20000         (the long table: about 20 min a run)
#   STEPS_ONLY="plain fsq" bash bench/quality.sh 300   (a subset, e.g. a smoke run)
#
# A run whose folder already holds eval.txt is not trained again (its row is printed); one holding only a
# checkpoint (an interrupted run) is continued with --resume. FRESH=1 starts every run over.
#   DATA_ARGS="--data emoji --data-dir data/emoji --downsample 4" BATCH=16 OUT=runs/quality-emoji \
#     STEPS_ONLY="plain fsq" bash bench/quality.sh 3000   (the emoji rows: PSNR over the 64x64 image)
#
# Prints a Markdown table for bench/RESULTS.md. Needs the jar (mvn -B -Dvq4j.cuda=OFF package -DskipTests); JAR
# overrides which one, OUT the output folder.
set -euo pipefail
steps=${1:-3000}
root=$(cd "$(dirname "$0")/.." && pwd)
jar=${JAR:-$(ls "$root"/target/vq4j-*-all.jar | head -1)}
out=${OUT:-$root/runs/quality}
mkdir -p "$out"
declare -A opts=(
  [plain]=""
  [ema]="--quantizer ema"
  [rotation]="--rotation-trick"
  [ema+rotation]="--quantizer ema --rotation-trick"
  [kmeans]="--kmeans-init 10"
  [ema+rotation+kmeans]="--quantizer ema --rotation-trick --kmeans-init 10"
  [l2-codes]="--l2-codes --code-dim 8"
  [fsq]="--quantizer fsq --fsq-levels 8,5,5,5"
  [fsq-7x5x5x5x5]="--quantizer fsq --fsq-levels 7,5,5,5,5"
  [fsq-8x8x8x5x5]="--quantizer fsq --fsq-levels 8,8,8,5,5"
)
order=(plain ema rotation ema+rotation kmeans ema+rotation+kmeans l2-codes fsq fsq-7x5x5x5x5 fsq-8x8x8x5x5)
if [[ -n "${STEPS_ONLY:-}" ]]; then read -r -a order <<<"$STEPS_ONLY"; fi
echo "| quantizer | options | steps | test PSNR 28x28 | MSE 28x28 | perplexity | codes used of K | bits/dim (uniform prior, 28x28) | steps/s |"
echo "|---|---|---|---|---|---|---|---|---|"
for name in "${order[@]}"; do
  dir="$out/$name-$steps"
  [[ -n "${FRESH:-}" ]] && rm -rf "$dir"
  if [[ -f "$dir/eval.txt" ]]; then
    :  # finished earlier: only its row is printed
  elif [[ -f "$dir/checkpoint.safetensors" ]]; then
    # An interrupted run continues exactly (same data order and RNG); metrics.jsonl's elapsed_s adds up.
    java -jar "$jar" train --resume --out "$dir" >>"$dir.log" 2>&1
  else
    rm -rf "$dir"
    # shellcheck disable=SC2086
    java -jar "$jar" train --out "$dir" --steps "$steps" --seed 1 --batch-size "${BATCH:-32}" ${DATA_ARGS:-} \
      ${opts[$name]} >"$dir.log" 2>&1
  fi
  # Training only: the wall time minus the evaluation, which the log times separately when present.
  train_s=$(python3 - "$dir/metrics.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(rows[-1].get("elapsed_s", "nan"))
PY
)
  e="$dir/eval.txt"
  psnr=$(awk '/^PSNR/{print $2; exit}' "$e")
  mse=$(awk '/^MSE/{print $2; exit}' "$e")
  perp=$(awk '/^perplexity/{print $2; exit}' "$e")
  used=$(sed -n 's/^perplexity .* of \([0-9]*\) codes (\([0-9]*\) used).*/\2 of \1/p' "$e")
  bpd=$(awk '/^bits\/dim bound/{print $3; exit}' "$e")
  rate=$(python3 -c "import sys; s=float('$train_s'); print('%.1f' % ($steps / s) if s == s and s > 0 else 'n/a')")
  echo "| $name | \`${opts[$name]}\` | $steps | $psnr dB | $mse | $perp | $used | $bpd | $rate |"
done
