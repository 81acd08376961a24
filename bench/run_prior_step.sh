#!/usr/bin/env bash
# A Gated PixelCNN prior training step on the CPU: vq4j (JMH, bench/java/ai/vq4j/bench/PriorStepBench.java)
# against the same model, batch and optimizer in PyTorch CPU (bench/torch_prior_step.py), alternating
# REPEATS times so that a change of load on this shared machine slows both sides alike; each row gives
# the median JMH iteration and PyTorch's median step.
#
#   bash bench/run_prior_step.sh
#
# Environment: PYTHON (default .venv/bin/python, a venv with torch), SKIP_BUILD=1 to reuse
# target/benchmarks.jar, THREADS (torch threads, default: nproc), REPEATS (default 2), BATCH (default 64).
set -euo pipefail
source "$(dirname "$0")/step_setup.sh"
for i in $(seq 1 "${REPEATS:-2}"); do
  java --enable-native-access=ALL-UNNAMED -jar target/benchmarks.jar 'ai\.vq4j\.bench\.PriorStepBench\.step$' \
    -p "batch=${BATCH:-64}" -rf json -rff "$OUT/jmh_prior_step_$i.json" > "$OUT/jmh_prior_step_$i.txt"
  "$PYTHON" bench/torch_prior_step.py --threads "$THREADS" --batch "${BATCH:-64}" \
    --json "$OUT/torch_prior_step_$i.json" > /dev/null
done
PYTHONPATH=bench "$PYTHON" - "$OUT" "${REPEATS:-2}" <<'PY'
import json, sys
from step_timing import jmh_median
out, repeats = sys.argv[1], int(sys.argv[2])
print("| pair | vq4j ms/step (median, IQR) | PyTorch ms/step (median) | vq4j / PyTorch |")
print("|---:|---:|---:|---:|")
for i in range(1, repeats + 1):
    ms, q1, q3 = jmh_median(f"{out}/jmh_prior_step_{i}.json")
    t = json.load(open(f"{out}/torch_prior_step_{i}.json"))
    print(f"| {i} | {ms:.1f} ({q1:.1f}-{q3:.1f}) | {t['ms_per_step']:.1f} | "
          f"{t['ms_per_step'] / ms:.2f} |")
print(f"PyTorch {t['torch']}, {t['threads']} threads, {t['parameters']} parameters")
PY
