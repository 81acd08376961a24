#!/usr/bin/env bash
# A VQ-VAE training step on the CPU: vq4j (JMH, bench/java/ai/vq4j/bench/TrainStepBench.java) against the same
# model, batch and optimizer in PyTorch CPU (bench/torch_train_step.py), in one run on this machine, with
# images/s side by side. Python and PyTorch are only needed for this comparison.
#
#   bash bench/run_train_step.sh
#
# Environment: PYTHON (default .venv/bin/python, a venv with torch), SKIP_BUILD=1 to reuse
# target/benchmarks.jar, THREADS (torch threads, default: nproc), JMH_ARGS (extra JMH options).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
THREADS=${THREADS:-$(nproc)}
OUT=bench/out
mkdir -p "$OUT"
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  mvn -B -q -Pbench -DskipTests package >&2
fi
echo "== $(date -u +%F) nproc $(nproc); $(lscpu | grep 'Model name' | sed 's/  */ /g')"
# shellcheck disable=SC2086
java --enable-native-access=ALL-UNNAMED -jar target/benchmarks.jar 'ai\.vq4j\.bench\.TrainStepBench\.step$' \
  -rf json -rff "$OUT/jmh_train_step.json" ${JMH_ARGS:-} > "$OUT/jmh_train_step.txt"
for ema in false true; do
  flag=$([[ $ema == true ]] && echo --ema || true)
  # shellcheck disable=SC2086
  "$PYTHON" bench/torch_train_step.py --threads "$THREADS" $flag --json "$OUT/torch_train_step_$ema.json" >/dev/null
done
"$PYTHON" - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
jmh = {r["params"]["ema"]: r["primaryMetric"] for r in json.load(open(f"{out}/jmh_train_step.json"))}
print("| quantizer | vq4j ms/step | vq4j images/s | PyTorch ms/step | PyTorch images/s | vq4j / PyTorch |")
print("|---|---|---|---|---|---|")
for ema in ("false", "true"):
    t = json.load(open(f"{out}/torch_train_step_{ema}.json"))
    ms = jmh[ema]["score"]
    err = jmh[ema]["scoreError"]
    print(f"| {'EMA' if ema == 'true' else 'plain'} | {ms:.1f} ± {err:.1f} | {32 / ms * 1e3:.0f} | "
          f"{t['ms_per_step']:.1f} | {t['images_per_s']:.0f} | {t['ms_per_step'] / ms:.2f} |")
print(f"PyTorch {t['torch']}, {t['threads']} threads")
PY
