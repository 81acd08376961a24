#!/usr/bin/env bash
# bench/gpu/train_step_gpu.sh: a VQ-VAE training step on one GPU, vq4j's CUDA kernels against PyTorch.
#
# What it measures: images/s of one training step of the "sonnet" VQ-VAE (forward, loss, backward, Adam,
# metrics read back to the host every step, and every 16 steps as the training loop queues them; plain and
# EMA codebook) at each batch size in BATCHES, on the same GPU:
#   vq4j:    the JMH benchmark TrainStepBench with -p device=cuda (bench/java/ai/vq4j/bench), run by the
#            Java runtime and jars that `bench/gpu-check pack` put in carry/ (the GPU machine has no Java);
#   PyTorch: bench/torch_train_step.py --device cuda, FP32 (TF32 off: vq4j's kernels are FP32), cuDNN
#            autotuned (cudnn.benchmark), once NCHW (PyTorch's default) and once --channels-last (NHWC, as vq4j);
#            the clock is read after torch.cuda.synchronize().
# and prints a Markdown table side by side (also written to $OUTDIR/train_step_gpu.md).
#
# Run on the GPU machine from the repository root, with carry/ filled by `bench/gpu-check pack`:
#   bash bench/gpu/train_step_gpu.sh                  (bench/gpu-check run calls it, sharing its Java)
# Without a GPU it refuses (exit 3) unless DEVICE=cpu, which runs the same plumbing on the CPU (a dry run).
#
# Environment: DEVICE (vq4j device, default cuda), TORCH_DEVICE (default: DEVICE), BATCHES (default "32 256"),
# PYTHON (default python3, needs torch), JAVA (default: unpack carry/jre.tar.xz; else java on PATH),
# BENCH_JAR (default carry/benchmarks.jar, else target/benchmarks.jar), JVM_ARGS (extra JVM options),
# JMH_ARGS (default "-f 1 -wi 2 -w 2s -i 5 -r 2s"), TORCH_STEPS (default 200), TORCH_WARMUP (default 30),
# OUTDIR (default bench/out/train-step-gpu-<stamp>).
set -euo pipefail
cd "$(dirname "$0")/../.."
DEVICE=${DEVICE:-cuda}
TORCH_DEVICE=${TORCH_DEVICE:-$DEVICE}
BATCHES=${BATCHES:-32 256}
PYTHON=${PYTHON:-python3}
OUTDIR=${OUTDIR:-bench/out/train-step-gpu-$(date -u +%Y-%m-%dT%H%M%SZ)}
mkdir -p "$OUTDIR"

if [[ $DEVICE == cuda* || $TORCH_DEVICE == cuda* ]] && ! nvidia-smi -L >/dev/null 2>&1; then
  echo "train_step_gpu.sh: no GPU here (nvidia-smi -L failed): nothing to time on CUDA (DEVICE=cpu for a dry run)" >&2
  exit 3
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/train-step-gpu.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
java=${JAVA:-}
if [[ -z "$java" ]]; then
  if [[ -f carry/jre.tar.xz ]]; then
    mkdir -p "$tmp/jre"
    tar -C "$tmp/jre" -xJf carry/jre.tar.xz 2>/dev/null ||
      "$PYTHON" -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' carry/jre.tar.xz "$tmp/jre"
    java="$tmp/jre/bin/java"
  else
    java=$(command -v java || true)
  fi
fi
[[ -n "$java" && -x "$java" ]] || { echo "train_step_gpu.sh: no Java (run bench/gpu-check pack first)" >&2; exit 2; }
jar=${BENCH_JAR:-}
[[ -n "$jar" ]] || { [[ -f carry/benchmarks.jar ]] && jar=carry/benchmarks.jar || jar=target/benchmarks.jar; }
[[ -f "$jar" ]] || { echo "train_step_gpu.sh: no $jar (run bench/gpu-check pack first)" >&2; exit 2; }

# shellcheck disable=SC2206
jvm=(--enable-native-access=ALL-UNNAMED -Xss4m "-Dorg.bytedeco.javacpp.cachedir=$tmp/javacpp-cache" ${JVM_ARGS:-})
batches_csv=$(echo "$BATCHES" | tr -s ' ' ',')
echo "== vq4j: JMH TrainStepBench, device=$DEVICE, batch=$batches_csv ($java, $jar)"
# shellcheck disable=SC2086
"$java" "${jvm[@]}" -jar "$jar" 'ai\.vq4j\.bench\.TrainStepBench\.' -p "device=$DEVICE" -p "batch=$batches_csv" -p channels=1 \
  -rf json -rff "$OUTDIR/jmh_train_step.json" ${JMH_ARGS:--f 1 -wi 2 -w 2s -i 5 -r 2s} 2>&1 |
  tee "$OUTDIR/jmh_train_step.txt" || echo "train_step_gpu.sh: JMH failed (see $OUTDIR/jmh_train_step.txt)" >&2

echo "== PyTorch: bench/torch_train_step.py --device $TORCH_DEVICE"
for batch in $BATCHES; do
  for ema in false true; do
    for layout in nchw nhwc; do
      for read in 1 16; do
        flags=()
        [[ $ema == true ]] && flags+=(--ema)
        [[ $layout == nhwc ]] && flags+=(--channels-last)
        "$PYTHON" bench/torch_train_step.py --device "$TORCH_DEVICE" --threads "$(nproc)" --batch "$batch" \
          --steps "${TORCH_STEPS:-200}" --warmup "${TORCH_WARMUP:-30}" --read-every "$read" "${flags[@]}" \
          --json "$OUTDIR/torch_${batch}_${ema}_${layout}_r${read}.json" 2>&1 | tee -a "$OUTDIR/torch.txt" ||
          echo "train_step_gpu.sh: torch_train_step.py failed (batch $batch, ema $ema, $layout, read $read)" >&2
      done
    done
  done
done

"$PYTHON" - "$OUTDIR" "$BATCHES" "$DEVICE" <<'PY' | tee "$OUTDIR/train_step_gpu.md"
import json, os, sys
out, batches, device = sys.argv[1], sys.argv[2].split(), sys.argv[3]
jmh = {}
results = json.load(open(f"{out}/jmh_train_step.json")) if os.path.exists(f"{out}/jmh_train_step.json") else []
for r in results:
    p = r["params"]
    jmh[(p["batch"], p["ema"], r["benchmark"].rsplit(".", 1)[1])] = r["primaryMetric"]
# step: metrics read back every step; queued: 16 steps queued, then one read (TrainStepBench.QUEUED).
modes = (("step", 1, "every step"), ("queued", 16, "every 16 steps"))
print(f"| batch | quantizer | metrics read | vq4j ({device}) ms/step | vq4j images/s | PyTorch NCHW images/s | "
      "PyTorch NHWC images/s | vq4j / best PyTorch |")
print("|---|---|---|---|---|---|---|---|")
t = None
for b in batches:
    for ema in ("false", "true"):
        for method, read, label in modes:
            m = jmh.get((b, ema, method))
            row = [b, "EMA" if ema == "true" else "plain", label]
            if m is None or m["scoreUnit"] != "ms/op":
                row += ["(failed: see jmh_train_step.txt)", ""]
                vq = None
            else:
                vq = int(b) / m["score"] * 1e3
                err = float(m["scoreError"]) if m["scoreError"] != "NaN" else float("nan")
                row += [f"{m['score']:.2f} ± {err:.2f}", f"{vq:.0f}"]
            best = None
            for layout in ("nchw", "nhwc"):
                f = f"{out}/torch_{b}_{ema}_{layout}_r{read}.json"
                if os.path.exists(f):
                    t = json.load(open(f))
                    row.append(f"{t['images_per_s']:.0f}")
                    best = max(best or 0, t["images_per_s"])
                else:
                    row.append("(failed)")
            row.append(f"{vq / best:.2f}" if vq and best else "")
            print("| " + " | ".join(row) + " |")
if t:
    print(f"\nPyTorch {t['torch']} on {t.get('gpu', t['device'])} (CUDA {t.get('cuda')}, cuDNN {t.get('cudnn')}), "
          f"FP32 (TF32 off), cudnn.benchmark; vq4j: JMH TrainStepBench, FP32. images/s = batch / time per step; "
          "both sides read the metrics back to the host as the row says.")
PY
