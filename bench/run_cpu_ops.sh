#!/usr/bin/env bash
# CPU ops of vq4j (JMH, bench/java/ai/vq4j/bench/OpsBench.java) against the same ops in PyTorch CPU
# (bench/torch_ops.py), printed side by side. Python and PyTorch are only needed for this comparison.
#
#   bash bench/run_cpu_ops.sh
#
# Environment: PYTHON (default /tmp/venv/bin/python, a venv with torch + numpy), SKIP_BUILD=1 to reuse
# target/benchmarks.jar, JMH_ARGS (extra JMH options, e.g. "-wi 2 -i 3"), TORCH_ARGS (e.g. "--min-run-time 0.5"),
# THREADS (torch threads, default 2), DEVICE (the vq4j CPU backend: cpu, the default fast paths, or cpu-ref,
# the hand-written reference kernels; "cpu,cpu-ref" times both, and the table adds the reference's column), ONLY (a
# regex over the op names, e.g. softmaxXent: only those ops on both sides), PASSIVE=1 to run the JMH suite a second time with
# OMP_WAIT_POLICY=passive (a diagnostic of OpenMP/OpenBLAS thread contention; adds about 5.5 minutes). About 7 minutes on 2 cores: 36 JMH runs of 3 x 1 s warmup + 5 x 1 s,
# then 37 torch timings of about 1.5 s each.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-/tmp/venv/bin/python}
OUT=bench/out
mkdir -p "$OUT"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  echo "== building target/benchmarks.jar" >&2
  mvn -B -Pbench -DskipTests package >&2
fi

echo "== nproc $(nproc); $(lscpu | grep 'Model name' | sed 's/  */ /g')" >&2
echo "== JMH (vq4j CPU)" >&2
# shellcheck disable=SC2086
java --enable-native-access=ALL-UNNAMED -jar target/benchmarks.jar "ai\.vq4j\.bench\.OpsBench\.${ONLY:-}" \
  -p "device=${DEVICE:-cpu}" -rf json -rff "$OUT/jmh_ops.json" ${JMH_ARGS:-} | tee "$OUT/jmh_ops.txt" >&2

PASSIVE_JSON=
if [[ "${PASSIVE:-0}" == 1 ]]; then
  echo "== JMH (vq4j CPU, OMP_WAIT_POLICY=passive)" >&2
  # shellcheck disable=SC2086
  OMP_WAIT_POLICY=passive java --enable-native-access=ALL-UNNAMED -jar target/benchmarks.jar \
    'ai\.vq4j\.bench\.OpsBench\.' -rf json -rff "$OUT/jmh_ops_passive.json" ${JMH_ARGS:-} \
    | tee "$OUT/jmh_ops_passive.txt" >&2
  PASSIVE_JSON="$OUT/jmh_ops_passive.json"
fi

echo "== PyTorch CPU" >&2
# shellcheck disable=SC2086
"$PYTHON" bench/torch_ops.py --threads "${THREADS:-2}" --json "$OUT/torch_ops.json" ${ONLY:+--only "$ONLY"} ${TORCH_ARGS:-} \
  | tee "$OUT/torch_ops.txt" >&2

echo "== side by side (median us; torch/vq4j > 1: vq4j faster)" >&2
# shellcheck disable=SC2086
"$PYTHON" bench/compare_cpu_ops.py "$OUT/jmh_ops.json" "$OUT/torch_ops.json" $PASSIVE_JSON | tee "$OUT/compare.txt"
# shellcheck disable=SC2086
"$PYTHON" bench/compare_cpu_ops.py "$OUT/jmh_ops.json" "$OUT/torch_ops.json" $PASSIVE_JSON --markdown \
  > "$OUT/compare.md"
