#!/usr/bin/env bash
# The recommended recipe's figure (issue 14): `--preset fashion-mnist` for 30 minutes of training on this machine,
# then its evaluation (test PSNR over the native 28x28 image, codes used). Run it on a quiet machine: the step
# count reached in 30 minutes is the figure's budget.
#
#   bash bench/preset.sh [out-folder] [minutes]      (default runs/preset-fashion-mnist, 30)
#
# Needs the jar (mvn -B -Dvq4j.cuda=OFF package -DskipTests); JAR overrides which one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jar=${JAR:-$(ls "$root"/target/vq4j-*-all.jar | head -1)}
out=${1:-$root/runs/preset-fashion-mnist}
minutes=${2:-30}
rm -rf "$out"
/usr/bin/time -v java -jar "$jar" train --preset fashion-mnist --time-limit "$minutes" --log-every 500 --out "$out" \
  2>&1 | tee "$out.log"
python3 - "$out/metrics.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("steps %d in %.0f s of training: %.1f steps/s" % (rows[-1]["step"], rows[-1]["elapsed_s"],
      rows[-1]["step"] / rows[-1]["elapsed_s"]))
PY
cat "$out/eval.txt"
