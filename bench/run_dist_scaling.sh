#!/usr/bin/env bash
# Data-parallel scaling on the CPU (issue 13): the same global batch trained by 1 rank x 2 threads and by
# 2 ranks x 1 thread (vq4j train --nproc-per-node 2, Gloo over loopback), side by side in one run, on the
# sonnet VQ-VAE and Fashion-MNIST. Prints each configuration's steady-state ms/step (from metrics.jsonl's
# queue times, the first LOG_EVERY steps dropped as warm-up), the throughput ratio (goal >= 0.9) and the
# extra time per step of the 2-rank run, which is its communication (gradient all-reduce, the quantizer's
# all-gathers, the metrics) plus any imbalance. Run it when the machine is otherwise quiet.
#
#   bash bench/run_dist_scaling.sh
#
# Environment: STEPS (default 60), BATCH (global batch, default 32), SKIP_BUILD=1 to reuse the jar.
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-60}
BATCH=${BATCH:-32}
LOG_EVERY=10
OUT=bench/out/dist
rm -rf "$OUT"
mkdir -p "$OUT"
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  mvn -B -DskipTests -Dvq4j.cuda=OFF package >&2
fi
JAR=$(ls target/vq4j-*-all.jar | head -1)
run() {  # name, threads, extra args...
  local name=$1 threads=$2
  shift 2
  OMP_NUM_THREADS=$threads java --enable-native-access=ALL-UNNAMED -jar "$JAR" train --out "$OUT/$name" \
    --steps "$STEPS" --log-every "$LOG_EVERY" --checkpoint-every 100000 --no-eval "$@" > "$OUT/$name.log"
}
echo "== $(date -u +%F) nproc $(nproc); $(lscpu | grep 'Model name' | sed 's/  */ /g'); global batch $BATCH, $STEPS steps"
run one 2 --batch-size "$BATCH"
run two 1 --batch-size $((BATCH / 2)) --nproc-per-node 2
python3 - "$OUT" "$LOG_EVERY" "$BATCH" <<'PY'
import json, sys
out, skip, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def ms_per_step(name):
    rows = [json.loads(l) for l in open(f"{out}/{name}/metrics.jsonl")]
    times = [r["elapsed_s"] for r in rows]
    t = times[skip:]
    return (t[-1] - t[0]) / (len(t) - 1) * 1e3
one, two = ms_per_step("one"), ms_per_step("two")
print("| configuration | ms/step | images/s |")
print("|---|---|---|")
print(f"| 1 rank x 2 threads, batch {batch} | {one:.1f} | {batch / one * 1e3:.0f} |")
print(f"| 2 ranks x 1 thread, batch {batch // 2} each | {two:.1f} | {batch / two * 1e3:.0f} |")
print(f"throughput ratio (2 ranks / 1 rank): {one / two:.2f}; extra time per step with 2 ranks: {two - one:.1f} ms")
PY
