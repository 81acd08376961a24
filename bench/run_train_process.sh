#!/usr/bin/env bash
# A whole training process on the CPU: `vq4j train` (the jar) against bench/torch_train.py (the same run's work in
# PyTorch), alternating, REPEATS pairs, each timed from outside with /usr/bin/time: wall clock and peak RSS; the
# training loop's steps/s from each side's own report (vq4j: its last progress line; PyTorch: its JSON line).
#
#   bash bench/run_train_process.sh
#
# Environment: PYTHON (default .venv/bin/python), STEPS (default 1000), REPEATS (default 3), THREADS (default
# nproc; vq4j's OpenMP threads and PyTorch's), SKIP_BUILD=1 to reuse target/vq4j-0.1.0-all.jar, EXTRA (more
# options for both sides, e.g. --ema).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
STEPS=${STEPS:-1000}
THREADS=${THREADS:-$(nproc)}
OUT=bench/out/train_process
mkdir -p "$OUT"
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  mvn -B -DskipTests package >&2
fi
echo "== $(date -u '+%F %H:%M') UTC, nproc $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg), $STEPS steps, $THREADS threads"
echo "| pair | side | wall s | steps/s (loop) | peak RSS MB |"
echo "|---:|---|---:|---:|---:|"
for i in $(seq 1 "${REPEATS:-3}"); do
  rm -rf "$OUT/run$i"
  # shellcheck disable=SC2086
  OMP_NUM_THREADS=$THREADS /usr/bin/time -f '%e %M' -o "$OUT/vq4j_$i.time" \
    java -jar target/vq4j-0.1.0-all.jar train --out "$OUT/run$i" --steps "$STEPS" --no-eval ${EXTRA:-} \
    > "$OUT/vq4j_$i.log" 2>&1
  # shellcheck disable=SC2086
  /usr/bin/time -f '%e %M' -o "$OUT/torch_$i.time" \
    "$PYTHON" bench/torch_train.py --steps "$STEPS" --threads "$THREADS" ${EXTRA:-} > "$OUT/torch_$i.json"
  read -r vw vr < "$OUT/vq4j_$i.time"
  read -r tw tr < "$OUT/torch_$i.time"
  vs=$(grep -o '[0-9.]* steps/s' "$OUT/vq4j_$i.log" | tail -1 | cut -d' ' -f1)
  ts=$("$PYTHON" -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["steps_per_s"], 2))' "$OUT/torch_$i.json")
  echo "| $i | vq4j | $vw | $vs | $((vr / 1024)) |"
  echo "| $i | PyTorch | $tw | $ts | $((tr / 1024)) |"
done
