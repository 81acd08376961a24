"""One training step of vq4j's default Gated PixelCNN prior in PyTorch CPU, the peer of JMH's PriorStepBench
(bench/run_prior_step.sh runs both): K = 512 codes on an 8x8 grid, p = 64 channels, 15 gated layers (the first
7x7 with masks V_A/H_A and no residual, the rest 3x3 with V_B/H_B), a ReLU-1x1(512)-ReLU-1x1(K) head, softmax
cross-entropy at every position, Adam lr 1e-3, unconditioned, batch 64 (java/ai/vq4j/nn/GatedPixelCnnLayer.java
has the equations). The masked convolutions multiply their weights by the mask, as PyTorch users write them.
Prints the median ms per step (each step timed alone; the mean is given too) as one JSON line.

    python bench/torch_prior_step.py [--threads 2] [--batch 64] [--steps 60] [--warmup 10] [--json out.json]
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

from step_timing import report, time_steps


def mask(kind, k):
    m = torch.zeros(k, k)
    c = k // 2
    for i in range(k):
        for j in range(k):
            keep = {"V_A": i < c, "V_B": i <= c, "H_A": i == c and j < c, "H_B": i == c and j <= c}[kind]
            m[i, j] = float(keep)
    return m


class MaskedConv(nn.Conv2d):
    def __init__(self, cin, cout, k, kind):
        super().__init__(cin, cout, k, padding=k // 2)
        self.register_buffer("mask", mask(kind, k))

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


def gate(x):
    f, g = x.chunk(2, dim=1)
    return torch.tanh(f) * torch.sigmoid(g)


class GatedLayer(nn.Module):
    def __init__(self, p, k, first):
        super().__init__()
        self.first = first
        self.v = MaskedConv(p, 2 * p, k, "V_A" if first else "V_B")
        self.h = MaskedConv(p, 2 * p, k, "H_A" if first else "H_B")
        self.link = nn.Conv2d(2 * p, 2 * p, 1)
        self.res = nn.Conv2d(p, p, 1)

    def forward(self, xv, xh):
        pv = self.v(xv)
        v = gate(pv)
        g = gate(self.h(xh) + self.link(pv))
        r = self.res(g)
        return v, r if self.first else r + xh


class Prior(nn.Module):
    def __init__(self, k=512, p=64, layers=15, first_kernel=7, kernel=3, head=512):
        super().__init__()
        self.embedding = nn.Embedding(k, p)
        self.layers = nn.ModuleList(GatedLayer(p, first_kernel if i == 0 else kernel, i == 0) for i in range(layers))
        self.head = nn.Sequential(nn.ReLU(), nn.Conv2d(p, head, 1), nn.ReLU(), nn.Conv2d(head, k, 1))

    def forward(self, codes):
        x = self.embedding(codes).permute(0, 3, 1, 2)
        v = h = x
        for layer in self.layers:
            v, h = layer(v, h)
        return self.head(h)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--grid", type=int, default=8)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = Prior()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    codes = torch.randint(0, 512, (a.batch, a.grid, a.grid))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(codes), codes)
        loss.backward()
        opt.step()
        return loss.item()  # read back every step, as PriorTrainer.step does

    ms, mean_ms = time_steps(step, a.warmup, a.steps)
    report({"torch": torch.__version__, "threads": a.threads, "batch": a.batch, "grid": a.grid,
            "parameters": sum(p.numel() for p in model.parameters()), "ms_per_step": ms, "ms_mean": mean_ms,
            "codes_per_s": a.batch * a.grid * a.grid / ms * 1e3}, a.json)


if __name__ == "__main__":
    main()
