#!/usr/bin/env bash
# Data-parallel scaling on the CPU (issue 13): the same global batch trained by 1 rank x 2 threads and by
# 2 ranks x 1 thread (vq4j train --nproc-per-node 2, Gloo over loopback, gradients averaged during the
# backward), side by side in one run, on the sonnet VQ-VAE and Fashion-MNIST. Prints a table:
#   - ms/step of each configuration in the steady state: from metrics.jsonl's per-step times (on the CPU a
#     step is computed when it is queued), the first WARMUP steps dropped;
#   - images/s at the global batch, and the throughput ratio 2 ranks / 1 rank (goal >= 0.9);
#   - the 2-rank run's communication per step, as rank 0 measured it over all its steps (the run's last
#     line): ms inside collectives (gradient all-reduces, the quantizer's all-gathers and all-reduces, the
#     metrics), and ms of those that blocked training (the rest ran on the communication thread while the
#     backward went on);
#   - the extra ms/step of 2 ranks over 1 (communication that blocked, plus imbalance between the ranks and
#     the difference between 1 thread on half the batch and 2 threads on all of it).
# Run it when the machine is otherwise quiet.
#
#   bash bench/run_dist_scaling.sh
#
# Environment: STEPS (default 60), WARMUP (default 10), BATCH (global batch, default 32), SKIP_BUILD=1 to
# reuse target/vq4j-*-all.jar, DATA_ARGS (default: Fashion-MNIST from its Debian folder), VQVAE=checkpoint to
# measure train-prior (Gated PixelCNN, its defaults) on that VQ-VAE's codes instead of train.
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-60}
WARMUP=${WARMUP:-10}
BATCH=${BATCH:-32}
OUT=bench/out/dist
(( BATCH % 2 == 0 )) || { echo "BATCH must be even (2 ranks share it), got $BATCH" >&2; exit 1; }
(( STEPS > WARMUP + 1 )) || { echo "STEPS ($STEPS) must exceed WARMUP + 1 ($WARMUP + 1)" >&2; exit 1; }
rm -rf "$OUT"
mkdir -p "$OUT"
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  mvn -B -DskipTests -Dvq4j.cuda=OFF package >&2
fi
JAR=$(ls target/vq4j-*-all.jar | head -1)
COMMAND=(train)
if [[ -n "${VQVAE:-}" ]]; then
  [[ -f "$VQVAE" ]] || { echo "VQVAE=$VQVAE is not a file (a VQ-VAE checkpoint.safetensors)" >&2; exit 1; }
  COMMAND=(train-prior --vqvae "$VQVAE")
fi
run() {  # name, threads, extra args...
  local name=$1 threads=$2
  shift 2
  # shellcheck disable=SC2086
  OMP_NUM_THREADS=$threads java --enable-native-access=ALL-UNNAMED -jar "$JAR" "${COMMAND[@]}" --out "$OUT/$name" \
    --steps "$STEPS" --log-every "$STEPS" --checkpoint-every 1000000 --no-eval ${DATA_ARGS:-} "$@" \
    > "$OUT/$name.log" 2>&1 || { echo "the $name run failed:" >&2; tail -n 20 "$OUT/$name.log" >&2; exit 1; }
}
echo "== $(date -u '+%F %H:%M') UTC, nproc $(nproc), $(lscpu | sed -n 's/^Model name: *//p'); global batch $BATCH,"\
  "$STEPS steps ($WARMUP warm-up), vq4j ${COMMAND[0]}"
run one 2 --batch-size "$BATCH"
run two 1 --batch-size $((BATCH / 2)) --nproc-per-node 2
python3 - "$OUT" "$WARMUP" "$BATCH" <<'PY'
import json, re, sys
out, skip, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def ms_per_step(name):
    times = [json.loads(l)["elapsed_s"] for l in open(f"{out}/{name}/metrics.jsonl")][skip:]
    return (times[-1] - times[0]) / (len(times) - 1) * 1e3
one, two = ms_per_step("one"), ms_per_step("two")
comm = re.search(r"communication \(rank 0 of 2\): ([\d.]+) collectives, ([\d.]+) ms inside them, ([\d.]+) ms blocking",
                 open(f"{out}/two.log").read())
if comm is None:
    sys.exit(f"{out}/two.log has no communication line from rank 0")
calls, inside, blocking = (float(g) for g in comm.groups())
print("| configuration | ms/step | images/s | communication ms/step (inside / blocking) |")
print("|---|---|---|---|")
print(f"| 1 rank x 2 threads, batch {batch} | {one:.1f} | {batch / one * 1e3:.0f} | - |")
print(f"| 2 ranks x 1 thread, batch {batch // 2} each | {two:.1f} | {batch / two * 1e3:.0f} |"
      f" {inside:.2f} / {blocking:.2f} ({calls:.0f} collectives) |")
print(f"throughput ratio (2 ranks / 1 rank): {one / two:.2f} (goal >= 0.9); extra time per step with 2 ranks:"
      f" {two - one:.1f} ms")
PY
