#!/usr/bin/env python3
"""PyTorch peer of bench/java/ai/vq4j/bench/TrainStepBench.java: one VQ-VAE training step (the "sonnet"
preset: 128 hidden, 32 residual hidden, 2 residual blocks, D = 64, K = 512, 32x32 grey images, batch 32) with
the same loss (MSE / variance + (1 + beta) or beta times mean||z_e - z_q||^2), Adam lr 3e-4, plain or EMA
codebook (--channels 3: colour images), on the CPU with the same number of threads (bench/run_train_step.sh) or on a CUDA GPU
(--device cuda, bench/gpu/train_step_gpu.sh). Prints the ms per step (the median step on the CPU, else the mean) and images/s as one JSON line.

On CUDA the clock is read only after torch.cuda.synchronize(), so queued kernels are counted. The loss and
perplexity are read back to the host every --read-every steps: 1 (the default) as vq4j's VqVaeTrainer.step
does, 16 as its queued steps in TrainStepBench.queued do (the training loop's way). cuDNN picks its fastest algorithms
(torch.backends.cudnn.benchmark, settled during the warm-up steps) and is kept off TF32 unless --tf32
(PyTorch allows TF32 convolutions by default; vq4j's kernels are FP32). --channels-last stores activations and
weights NHWC, like vq4j.

Only for the comparison: the project itself never needs Python.

Usage: torch_train_step.py [--device cpu|cuda] [--channels-last] [--tf32] [--threads 2] [--batch 32]
                           [--channels 1] [--ema]
                           [--steps 60] [--warmup 10] [--read-every 1] [--json out.json]
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

from step_timing import report, time_steps


class Residual(nn.Module):
    def __init__(self, c, r):
        super().__init__()
        self.conv3 = nn.Conv2d(c, r, 3, padding=1)
        self.conv1 = nn.Conv2d(r, c, 1)

    def forward(self, x):
        return x + self.conv1(F.relu(self.conv3(F.relu(x))))


class VqVae(nn.Module):
    def __init__(self, c=1, h=128, r=32, blocks=2, d=64, k=512, ema=False):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(c, h // 2, 4, 2, 1), nn.ReLU(), nn.Conv2d(h // 2, h, 4, 2, 1), nn.ReLU(),
                                 nn.Conv2d(h, h, 3, padding=1), *[Residual(h, r) for _ in range(blocks)], nn.ReLU(),
                                 nn.Conv2d(h, d, 1))
        self.dec = nn.Sequential(nn.Conv2d(d, h, 3, padding=1), *[Residual(h, r) for _ in range(blocks)], nn.ReLU(),
                                 nn.ConvTranspose2d(h, h // 2, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(h // 2, c, 4, 2, 1))
        self.codebook = nn.Parameter(torch.empty(k, d).uniform_(-1 / k, 1 / k), requires_grad=not ema)
        self.ema = ema
        self.register_buffer("ema_count", torch.ones(k))
        self.register_buffer("ema_sum", self.codebook.detach().clone())

    def forward(self, x, beta=0.25, variance=0.11):
        z = self.enc(x)
        n, d, hh, ww = z.shape
        flat = z.permute(0, 2, 3, 1).reshape(-1, d)
        dist = flat.pow(2).sum(1, keepdim=True) - 2 * flat @ self.codebook.t() + self.codebook.pow(2).sum(1)
        codes = dist.argmin(1)
        self.last_codes, self.last_flat = codes, flat.detach()  # for torch_train.py's dead-code restarts
        zq = self.codebook[codes]
        commit = F.mse_loss(flat, zq.detach())
        vq = beta * commit if self.ema else F.mse_loss(zq, flat.detach()) + beta * commit
        zq_st = flat + (zq - flat).detach()
        recon = self.dec(zq_st.reshape(n, hh, ww, d).permute(0, 3, 1, 2))
        loss = F.mse_loss(recon, x) / variance + vq
        counts = torch.bincount(codes, minlength=self.codebook.shape[0]).float()
        p = counts / counts.sum()
        perplexity = torch.exp(-(p * torch.log(p + 1e-10)).sum())
        if self.ema and self.training:
            with torch.no_grad():
                g, eps, k = 0.99, 1e-5, self.codebook.shape[0]
                self.ema_count.mul_(g).add_(counts, alpha=1 - g)
                self.ema_sum.mul_(g).add_(torch.zeros_like(self.ema_sum).index_add_(0, codes, flat.detach()),
                                          alpha=1 - g)
                total = self.ema_count.sum()
                smoothed = (self.ema_count + eps) / (total + k * eps) * total
                self.codebook.copy_(self.ema_sum / smoothed[:, None])
        return loss, perplexity


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    ap.add_argument("--channels-last", action="store_true", help="NHWC activations and weights")
    ap.add_argument("--tf32", action="store_true", help="allow TF32 in cuDNN convolutions and matmuls")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--channels", type=int, default=1, help="image channels: 1 (grey) or 3 (colour)")
    ap.add_argument("--ema", action="store_true")
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--read-every", type=int, default=1, help="read the metrics back every N steps")
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dev = torch.device(a.device)
    cuda = dev.type == "cuda"
    if cuda:
        if not torch.cuda.is_available():
            raise SystemExit("torch_train_step.py: --device cuda, but torch.cuda.is_available() is False")
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.allow_tf32 = a.tf32
        torch.backends.cuda.matmul.allow_tf32 = a.tf32
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    model = VqVae(c=a.channels, ema=a.ema).to(dev, memory_format=fmt)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=3e-4)
    x = (torch.rand(a.batch, a.channels, 32, 32) - 0.5).to(dev).contiguous(memory_format=fmt)

    def sync():
        if cuda:
            torch.cuda.synchronize(dev)

    pending = []

    def step():
        opt.zero_grad(set_to_none=True)
        loss, ppl = model(x)
        loss.backward()
        opt.step()
        pending.append(torch.stack([loss.detach(), ppl.detach()]))
        if len(pending) == a.read_every:
            torch.stack(pending).tolist()  # one copy to the host for the queued steps
            pending.clear()

    def settle():
        sync()
        pending.clear()

    def finish():
        if pending:
            torch.stack(pending).tolist()
        sync()

    median_ms, mean_ms = time_steps(step, a.warmup, a.steps, settle, finish)
    # With queued steps (or a GPU's queue) a step's own time is only its launch: the mean is the cost.
    ms = median_ms if a.read_every == 1 and not cuda else mean_ms
    res = {"torch": torch.__version__, "device": str(dev), "threads": a.threads, "batch": a.batch,
           "channels": a.channels, "ema": a.ema,
           "read_every": a.read_every, "ms_per_step": ms, "ms_mean": mean_ms, "images_per_s": a.batch / ms * 1e3}
    if cuda:
        res.update({"gpu": torch.cuda.get_device_name(dev), "cuda": torch.version.cuda,
                    "cudnn": torch.backends.cudnn.version(), "channels_last": a.channels_last, "tf32": a.tf32})
    report(res, a.json)


if __name__ == "__main__":
    main()
