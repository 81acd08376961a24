#!/usr/bin/env python3
"""Rates for a JMH result of the vq4j benchmarks: reads JMH's JSON (-rf json -rff FILE) and prints a Markdown
table with, per entry, the time and
  - GFLOP/s and the fraction of an FP32 peak for the convs (OpsBench.conv*: the dense conv's
    2 * N * pixels * Co * Ci * k * k, as bench/gpu/conv_bench.cu counts them) and vqQuantizeForward
    (the distance product, 2 * rows * K * D);
  - GB/s for the memory-bound ops, from the bytes each call must at least read and write once (an estimate
    of traffic, not a measurement: caches can make the real traffic smaller, extra passes larger);
  - images/s for TrainStepBench.
The op shapes are OpsBench.java's (batch 32), from bench/conv_layers.py.

Usage: jmh_rates.py JMH.json [--peak 67]   (peak in TFLOP/s; 67 = H100 SXM / H200 FP32 non-tensor)
Used by bench/gpu-check run on the GPU machine; works on any JMH JSON of these benchmarks (CPU runs too).
"""
import argparse
import json

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from conv_layers import BATCH, LAYERS, conv_flops  # noqa: E402


F = 4  # bytes per float32 / int32
ROWS, D, K = BATCH * 8 * 8, 64, 512
GATED_ROWS, GATED_C = BATCH * 8 * 8, 128
XR, XK = 2048, 512
ADAM = 700_000
# minimum bytes read + written per call
BYTES = {
    "vqQuantizeBackward": F * (3 * ROWS * D + ROWS + ROWS * D + K * D),
    "vqEmaUpdate": F * (ROWS * D + ROWS + 2 * K + 4 * K * D),
    "gatedActivationForward": F * GATED_ROWS * (2 * GATED_C + GATED_C),
    "gatedActivationBackward": F * GATED_ROWS * (2 * GATED_C + GATED_C + 2 * GATED_C),
    "softmaxXentForward": F * (XR * XK + XR + 1),
    "softmaxXentBackward": F * (XR * XK + XR + XR * XK),
    "softmaxXentForwardBackward": F * (2 * XR * XK + 2 * XR + XR * XK + 1),
    "adamStep": F * ADAM * 7,
}


def num(v):
    """JMH writes "NaN" (a string) for the error of a single iteration."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def seconds(metric):
    unit = metric["scoreUnit"]
    scale = {"s/op": 1.0, "ms/op": 1e-3, "us/op": 1e-6, "ns/op": 1e-9}.get(unit)
    if scale is None:
        raise SystemExit(f"jmh_rates.py: unsupported unit {unit} (use AverageTime mode)")
    return num(metric["score"]) * scale, num(metric["scoreError"]) * scale


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("json")
    ap.add_argument("--peak", type=float, default=67.0, help="FP32 peak in TFLOP/s (default 67: H100 SXM)")
    a = ap.parse_args()
    results = json.load(open(a.json))
    print(f"| benchmark | params | time | rate | % of {a.peak:g} TFLOP/s |")
    print("|---|---|---|---|---|")
    for r in results:
        name = r["benchmark"].rsplit(".", 1)[-1]
        cls = r["benchmark"].rsplit(".", 2)[-2]
        params = r.get("params", {})
        t, err = seconds(r["primaryMetric"])
        shown = ", ".join(f"{k}={v}" for k, v in params.items())
        time_s = f"{t * 1e6:.1f} ± {err * 1e6:.1f} µs" if t < 1e-2 else f"{t * 1e3:.2f} ± {err * 1e3:.2f} ms"
        rate, frac = "", ""
        if cls == "OpsBench" and name.startswith("conv") and params.get("layer") in LAYERS:
            g = conv_flops(params["layer"]) / t
            rate, frac = f"{g / 1e9:.0f} GFLOP/s", f"{100 * g / (a.peak * 1e12):.2f}%"
        elif cls == "OpsBench" and name == "vqQuantizeForward":
            g = 2.0 * ROWS * K * D / t
            rate, frac = f"{g / 1e9:.0f} GFLOP/s", f"{100 * g / (a.peak * 1e12):.2f}%"
        elif cls == "OpsBench" and name in BYTES:
            rate = f"{BYTES[name] / t / 1e9:.1f} GB/s (est.)"
        elif cls == "TrainStepBench":
            rate = f"{int(params.get('batch', BATCH)) / t:.0f} images/s"
        print(f"| {cls}.{name} | {shown} | {time_s} | {rate} | {frac} |")


if __name__ == "__main__":
    main()
