#!/usr/bin/env python3
"""PyTorch CPU timings of the ops that bench/java/ai/vq4j/bench/OpsBench.java times in vq4j, at the same
shapes and in the same directions, for bench/run_cpu_ops.sh to print side by side.

Only for the comparison: the project itself never needs Python.

Layout: PyTorch runs its convs in its native NCHW layout (weights [Co, Ci, k, k], transposed-conv weights
[Ci, Co, k, k]); vq4j runs NHWC. The other ops are layout-free (last-dimension ops on contiguous memory).

Each op is warmed up for --warmup seconds, then timed with torch.utils.benchmark.Timer.blocked_autorange
(min_run_time = --min-run-time); we report the median and the mean of the per-block averages, in us.

Usage: torch_ops.py [--threads 2] [--min-run-time 1.0] [--warmup 0.3] [--json out.json] [--only REGEX]
"""
import argparse
import json
import re
import sys
import time

import torch
import torch.nn.functional as F
from torch.utils import benchmark

from conv_layers import BATCH, LAYERS, conv_flops, out_hw  # noqa: E402,F401


def mask_b(k):
    m = torch.zeros(k, k)
    c = k // 2
    m[:c, :] = 1
    m[c, : c + 1] = 1
    return m


def conv_cases(gen):
    cases = {}
    for name, (kind, hw, ci, co, k, stride, pad) in LAYERS.items():
        oh = out_hw(kind, hw, k, stride, pad)
        x = torch.rand(BATCH, ci, hw, hw, generator=gen) * 2 - 1
        transposed = kind == "convT"
        w = (torch.rand(*((ci, co, k, k) if transposed else (co, ci, k, k)), generator=gen) * 2 - 1) * 0.1
        if kind == "masked_b":
            w = w * mask_b(k)  # masked once here: the conv then runs dense with zeros at the masked taps
        b = (torch.rand(co, generator=gen) * 2 - 1) * 0.1
        dy = torch.rand(BATCH, co, oh, oh, generator=gen) * 2 - 1
        shape = f"x[{BATCH},{ci},{hw},{hw}] {'convT' if transposed else 'conv'} {k}x{k} s{stride} p{pad} -> [{BATCH},{co},{oh},{oh}]"
        if transposed:
            fwd = lambda x=x, w=w, b=b, s=stride, p=pad: F.conv_transpose2d(x, w, b, stride=s, padding=p)
        else:
            fwd = lambda x=x, w=w, b=b, s=stride, p=pad: F.conv2d(x, w, b, stride=s, padding=p)

        def bwd(mask, x=x, w=w, dy=dy, s=stride, p=pad, t=transposed, co=co):
            return torch.ops.aten.convolution_backward(
                dy, x, w, [co], [s, s], [p, p], [1, 1], t, [0, 0], 1, mask)

        cases[f"convForward:{name}"] = (shape, fwd, conv_flops(name))
        cases[f"convBackwardData:{name}"] = (shape, lambda bwd=bwd: bwd([True, False, False]), conv_flops(name))
        # dw and db together, as vq4j's conv*BackwardWeight computes them.
        cases[f"convBackwardWeight:{name}"] = (shape, lambda bwd=bwd: bwd([False, True, True]), conv_flops(name))
    return cases


def other_cases(gen):
    cases = {}
    rows, d, kk = BATCH * 8 * 8, 64, 512
    z = torch.rand(rows, d, generator=gen) * 2 - 1
    cb = torch.rand(kk, d, generator=gen) * 2 - 1

    def vq_fwd():
        # argmin_j ||e_j||^2 - 2 z.e_j (||z||^2 is the same for every code), as vq4j computes it.
        dist = torch.addmm((cb * cb).sum(1), z, cb.t(), beta=1, alpha=-2)
        idx = dist.argmin(1)
        return idx, cb.index_select(0, idx)

    codes, zq = vq_fwd()
    dzq = torch.rand(rows, d, generator=gen) * 2 - 1
    count = rows * d
    beta, cw = 0.25, 1.0

    def vq_bwd():
        diff = z - zq
        dze = torch.add(dzq, diff, alpha=2 * beta / count)
        dcb = torch.zeros(kk, d).index_add_(0, codes, diff, alpha=-2 * cw / count)
        return dze, dcb

    ema_count = torch.ones(kk)
    ema_sum = cb.clone()
    ema_cb = cb.clone()
    gamma, eps = 0.99, 1e-5

    def vq_ema():
        counts = torch.bincount(codes, minlength=kk).to(torch.float32)
        sums = torch.zeros(kk, d).index_add_(0, codes, z)
        ema_count.mul_(gamma).add_(counts, alpha=1 - gamma)
        ema_sum.mul_(gamma).add_(sums, alpha=1 - gamma)
        n = ema_count.sum()
        smoothed = (ema_count + eps) / (n + kk * eps) * n
        torch.div(ema_sum, smoothed.unsqueeze(1), out=ema_cb)

    vq_shape = f"z[{rows},{d}], codebook[{kk},{d}]"
    cases["vqQuantizeForward"] = (vq_shape, vq_fwd, None)
    cases["vqQuantizeBackward"] = (vq_shape, vq_bwd, None)
    cases["vqEmaUpdate"] = (vq_shape, vq_ema, None)

    # Gated activation over the last dimension of [32, 8, 8, 256].
    gx = (torch.rand(BATCH, 8, 8, 256, generator=gen) * 2 - 1) * 2
    gdy = torch.rand(BATCH, 8, 8, 128, generator=gen) * 2 - 1

    def gated(x):
        a, b = x.chunk(2, dim=-1)
        return torch.tanh(a) * torch.sigmoid(b)

    gxr = gx.clone().requires_grad_(True)
    gy = gated(gxr)
    cases["gatedActivationForward"] = (f"x[{BATCH},8,8,256] -> y[{BATCH},8,8,128]", lambda: gated(gx), None)
    cases["gatedActivationBackward"] = (
        f"x[{BATCH},8,8,256] -> y[{BATCH},8,8,128]",
        lambda: torch.autograd.grad(gy, gxr, gdy, retain_graph=True), None)

    # Softmax cross-entropy on logits[2048, 512] (targets int64: F.cross_entropy needs them).
    logits = (torch.rand(rows, kk, generator=gen) * 2 - 1) * 4
    targets = torch.randint(0, kk, (rows,), generator=gen)
    lr_ = logits.clone().requires_grad_(True)
    loss = F.cross_entropy(lr_, targets)
    xshape = f"logits[{rows},{kk}]"
    cases["softmaxXentForward"] = (xshape, lambda: F.cross_entropy(logits, targets), None)
    cases["softmaxXentBackward"] = (xshape, lambda: torch.autograd.grad(loss, lr_, retain_graph=True), None)

    def xent_fwd_bwd():
        l = F.cross_entropy(lr_, targets)
        return torch.autograd.grad(l, lr_)

    cases["softmaxXentForwardBackward"] = (xshape, xent_fwd_bwd, None)

    # Adam on one flat tensor of 700,000 parameters.
    nparam = 700_000
    for label, kwargs in (("adamStep", {}), ("adamStep[torch fused=True]", {"fused": True})):
        p = ((torch.rand(nparam, generator=gen) * 2 - 1) * 0.1).requires_grad_(True)
        p.grad = (torch.rand(nparam, generator=gen) * 2 - 1) * 0.01
        opt = torch.optim.Adam([p], lr=2e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, **kwargs)
        cases[label] = (f"params[{nparam}]", opt.step, None)
    return cases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--min-run-time", type=float, default=1.0)
    ap.add_argument("--warmup", type=float, default=0.3)
    ap.add_argument("--json", default=None)
    ap.add_argument("--only", default=None, help="regex over the op keys")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(42)
    cases = {**conv_cases(gen), **other_cases(gen)}
    results = {}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, NCHW convs", file=sys.stderr)
    print(f"{'op':42s} {'shape':62s} {'median us':>11s} {'mean us':>11s}")
    for key, (shape, fn, flops) in cases.items():
        if args.only and not re.search(args.only, key):
            continue
        t_end = time.perf_counter() + args.warmup
        while time.perf_counter() < t_end:
            fn()
        m = benchmark.Timer(stmt="fn()", globals={"fn": fn}, num_threads=args.threads).blocked_autorange(
            min_run_time=args.min_run_time)
        med, mean = m.median * 1e6, m.mean * 1e6
        results[key] = {"shape": shape, "median_us": med, "mean_us": mean, "blocks": len(m.times),
                        "flops": flops}
        print(f"{key:42s} {shape:62s} {med:11.1f} {mean:11.1f}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}, f,
                      indent=1)


if __name__ == "__main__":
    main()
