#!/usr/bin/env bash
# A VQ-VAE training step on the CPU: vq4j (JMH, bench/java/ai/vq4j/bench/TrainStepBench.java) against the same
# model, batch and optimizer in PyTorch CPU (bench/torch_train_step.py), on this machine, with images/s side by
# side: plain and EMA quantizer, batch 32 and 128, grey (1 channel) and colour (3) images. The two sides
# alternate, one configuration at a time, so that a machine whose load changes during the run slows both
# sides of a row alike. Python and PyTorch are only needed for this comparison.
#
#   bash bench/run_train_step.sh
#
# Environment: PYTHON (default .venv/bin/python, a venv with torch), SKIP_BUILD=1 to reuse
# target/benchmarks.jar, THREADS (torch threads, default: nproc), JMH_ARGS (JMH options, default
# "-f 1 -wi 3 -w 2 -i 15 -r 1"), BATCHES (default "32 128"), CHANNELS (default "1 3"), DEVICE (the vq4j
# CPU backend: cpu, the default fast paths, or cpu-ref, the hand-written reference kernels).
set -euo pipefail
source "$(dirname "$0")/step_setup.sh"
rows=()
for batch in ${BATCHES:-32 128}; do
  for channels in ${CHANNELS:-1 3}; do
    for ema in false true; do
      tag="${batch}_${channels}_${ema}"
      # shellcheck disable=SC2086
      java --enable-native-access=ALL-UNNAMED -jar target/benchmarks.jar 'ai\.vq4j\.bench\.TrainStepBench\.step$' \
        -p "batch=$batch" -p "channels=$channels" -p "ema=$ema" -p "device=${DEVICE:-cpu}" \
        -rf json -rff "$OUT/jmh_train_step_$tag.json" ${JMH_ARGS:--f 1 -wi 3 -w 2 -i 15 -r 1} \
        > "$OUT/jmh_train_step_$tag.txt"
      flag=$([[ $ema == true ]] && echo --ema || true)
      # shellcheck disable=SC2086
      "$PYTHON" bench/torch_train_step.py --threads "$THREADS" --batch "$batch" --channels "$channels" $flag \
        --json "$OUT/torch_train_step_$tag.json" >/dev/null
      rows+=("$tag")
    done
  done
done
PYTHONPATH=bench "$PYTHON" - "$OUT" "${rows[@]}" <<'PY'
import json, sys
from step_timing import jmh_median
out, tags = sys.argv[1], sys.argv[2:]
print("| batch | channels | quantizer | vq4j ms/step (median, IQR) | vq4j images/s | PyTorch ms/step (median) | PyTorch images/s | vq4j / PyTorch |")
print("|---:|---:|---|---:|---:|---:|---:|---:|")
for tag in tags:
    batch, channels, ema = tag.split("_")
    ms, q1, q3 = jmh_median(f"{out}/jmh_train_step_{tag}.json")
    t = json.load(open(f"{out}/torch_train_step_{tag}.json"))
    print(f"| {batch} | {channels} | {'EMA' if ema == 'true' else 'plain'} | {ms:.1f} ({q1:.1f}-{q3:.1f}) | "
          f"{int(batch) / ms * 1e3:.0f} | {t['ms_per_step']:.1f} | {t['images_per_s']:.0f} | "
          f"{t['ms_per_step'] / ms:.2f} |")
print(f"PyTorch {t['torch']}, {t['threads']} threads")
PY
