#!/usr/bin/env python3
"""Side-by-side table of the JMH results of OpsBench and the results of torch_ops.py (standard library only).

Usage: compare_cpu_ops.py JMH_JSON TORCH_JSON [JMH_PASSIVE_JSON] [--markdown]
The optional third file is a second JMH run with OMP_WAIT_POLICY=passive (run_cpu_ops.sh PASSIVE=1): it adds
the columns "vq4j passive us" and "torch/passive". When the JMH run timed the CPU's reference kernels too
(run_cpu_ops.sh DEVICE=cpu,cpu-ref), "vq4j us" is the fast path and "reference us" / "reference/fast" are added.
Times are the median of the per-iteration (JMH) or per-block (torch Timer) averages, in microseconds;
ratio = torch / vq4j, so > 1 means vq4j is faster. GFLOP/s for the convs uses 2 * N * OH * OW * Co * kH * kW * Ci
per direction (for a transposed conv, 2 * N * H * W * Ci * kH * kW * Co, H and W its input's), dense taps even
for the masked conv.
"""
import json
import statistics
import sys


def load_jmh(path, device="cpu"):
    """The results of one device parameter (cpu: the fast paths; cpu-ref: the reference kernels)."""
    out = {}
    for r in json.load(open(path)):
        if (r.get("params") or {}).get("device", "cpu") != device:
            continue
        method = r["benchmark"].rsplit(".", 1)[1]
        layer = (r.get("params") or {}).get("layer")
        key = f"{method}:{layer}" if layer else method
        raw = [x for fork in r["primaryMetric"]["rawData"] for x in fork]
        out[key] = {"median_us": statistics.median(raw), "score": r["primaryMetric"]["score"],
                    "error": r["primaryMetric"]["scoreError"], "n": len(raw)}
    return out


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    markdown = "--markdown" in sys.argv
    jmh = load_jmh(args[0])
    torch = json.load(open(args[1]))["results"]
    passive = load_jmh(args[2]) if len(args) > 2 else None
    reference = load_jmh(args[0], "cpu-ref") or None
    keys = list(torch.keys()) + [k for k in jmh if k not in torch]
    head = ["op", "shape", "vq4j us", "torch us", "torch/vq4j", "vq4j GFLOP/s", "torch GFLOP/s"]
    if passive is not None:
        head += ["vq4j passive us", "torch/passive"]
    if reference is not None:
        head += ["reference us", "reference/fast"]
    rows = []
    for k in keys:
        j, t = jmh.get(k), torch.get(k)
        jp = passive.get(k) if passive is not None else None
        if k.startswith("adamStep["):  # the torch variant of the same op
            j = j or jmh.get("adamStep")
            jp = jp or (passive.get("adamStep") if passive is not None else None)
        flops = t.get("flops") if t else None
        vj = j["median_us"] if j else None
        vt = t["median_us"] if t else None
        rows.append([
            k, t["shape"] if t else "",
            f"{vj:.1f}" if vj else "-", f"{vt:.1f}" if vt else "-",
            f"{vt / vj:.2f}" if vj and vt else "-",
            f"{flops / vj / 1e3:.1f}" if flops and vj else "",
            f"{flops / vt / 1e3:.1f}" if flops and vt else "",
        ])
        if passive is not None:
            vp = jp["median_us"] if jp else None
            rows[-1] += [f"{vp:.1f}" if vp else "-", f"{vt / vp:.2f}" if vp and vt else "-"]
        if reference is not None:
            jr = reference.get(k) or (reference.get("adamStep") if k.startswith("adamStep[") else None)
            vr = jr["median_us"] if jr else None
            rows[-1] += [f"{vr:.1f}" if vr else "-", f"{vr / vj:.2f}" if vr and vj else "-"]
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "|".join(["---"] * 2 + ["---:"] * (len(head) - 2)) + "|")
        for r in rows:
            print("| " + " | ".join(r) + " |")
    else:
        widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
        fmt = lambda r: "  ".join(str(c).ljust(widths[i]) if i < 2 else str(c).rjust(widths[i])
                                   for i, c in enumerate(r))
        print(fmt(head))
        for r in rows:
            print(fmt(r))


if __name__ == "__main__":
    main()
