# Sourced by bench/run_train_step.sh and bench/run_prior_step.sh, which pit a JMH step benchmark against its
# PyTorch peer: the environment both read (PYTHON, default .venv/bin/python; THREADS, torch threads, default
# nproc; SKIP_BUILD=1 to reuse target/benchmarks.jar), the output folder bench/out, the build, and the header
# line saying when and where the figures were taken.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-.venv/bin/python}
THREADS=${THREADS:-$(nproc)}
OUT=bench/out
mkdir -p "$OUT"
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  mvn -B -Pbench -DskipTests package >&2
fi
echo "== $(date -u '+%F %H:%M') UTC, nproc $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg);" \
  "$(lscpu | grep 'Model name' | sed 's/  */ /g')"
