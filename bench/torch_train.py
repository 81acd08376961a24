#!/usr/bin/env python3
"""PyTorch peer of a whole `vq4j train` process (bench/run_train_process.sh): the same run's work on the CPU.

Fashion-MNIST's 60,000 training images read from the Debian package's gzip'd IDX file, padded to 32x32 with the
background, scaled to [-0.5, 0.5]; the sonnet VQ-VAE of bench/torch_train_step.py; batches drawn at random; the
codebook initialised from the encoder's outputs on the first batch (vq4j's data init); Adam lr 3e-4; dead-code
restarts as vq4j does them (a code whose usage EMA, decay 0.99, falls under 1.0 takes a random row of the
batch's z_e, and its Adam moments are reset); no evaluation (`vq4j train --no-eval`). Prints steps/s of the
training loop and the whole wall time as one JSON line. Peak RSS is measured from outside (/usr/bin/time).

Only for the comparison: the project itself never needs Python.

Usage: torch_train.py [--steps 1000] [--threads 2] [--batch 32] [--ema] [--data /usr/share/datasets/fashion-mnist]
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

T0 = time.perf_counter()

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_train_step import VqVae  # noqa: E402


def read_images(path):
    with gzip.open(path, "rb") as f:
        magic, n, rows, cols = struct.unpack(">iiii", f.read(16))
        if magic != 0x803:
            raise SystemExit(f"{path}: not an IDX image file (magic {magic:#x})")
        return np.frombuffer(f.read(n * rows * cols), dtype=np.uint8).reshape(n, 1, rows, cols)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--ema", action="store_true")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    images = read_images(os.path.join(a.data, "train-images-idx3-ubyte.gz"))
    padded = np.zeros((images.shape[0], 1, 32, 32), dtype=np.uint8)
    padded[:, :, 2:30, 2:30] = images
    data = torch.from_numpy(padded.astype(np.float32) / 255.0 - 0.5)

    model = VqVae(ema=a.ema)
    k = model.codebook.shape[0]
    gen = torch.Generator().manual_seed(1)
    first = data[torch.randint(0, data.shape[0], (a.batch,), generator=gen)]
    with torch.no_grad():  # data init: the codebook starts as encoder outputs of the first batch
        z = model.enc(first).permute(0, 2, 3, 1).reshape(-1, model.codebook.shape[1])
        model.codebook.copy_(z[torch.randint(0, z.shape[0], (k,), generator=gen)])
        model.ema_sum.copy_(model.codebook)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=3e-4)
    usage = torch.ones(k)
    restarts = 0
    t_loop = time.perf_counter()
    for _ in range(a.steps):
        x = data[torch.randint(0, data.shape[0], (a.batch,), generator=gen)]
        opt.zero_grad(set_to_none=True)
        loss, _ = model(x)
        loss.backward()
        opt.step()
        with torch.no_grad():  # usage tracking and dead-code restarts, every step
            codes = model.last_codes
            usage.mul_(0.99).add_(torch.bincount(codes, minlength=k).float(), alpha=0.01)
            dead = (usage < 1.0).nonzero().flatten()
            if dead.numel() > 0:
                rows = model.last_flat[torch.randint(0, model.last_flat.shape[0], (dead.numel(),), generator=gen)]
                model.codebook[dead] = rows
                model.ema_sum[dead] = rows
                model.ema_count[dead] = 1.0
                usage[dead] = 1.0
                state = opt.state.get(model.codebook)
                if state:
                    state["exp_avg"][dead] = 0
                    state["exp_avg_sq"][dead] = 0
                restarts += dead.numel()
    loop_s = time.perf_counter() - t_loop
    print(json.dumps({"torch": torch.__version__, "threads": a.threads, "steps": a.steps, "batch": a.batch,
                      "ema": a.ema, "steps_per_s": a.steps / loop_s, "loop_s": loop_s,
                      "wall_s": time.perf_counter() - T0, "restarts": restarts, "final_loss": loss.item()}))


if __name__ == "__main__":
    main()
