#!/usr/bin/env python3
"""Golden values for the PyTorch state-dict format (tests/ai/vq4j/model/VqVaeTorchFormatTest.java).

The module is examples/pytorch/vqvae.py itself, so the golden values also check the example. For each of
two small configs (Sonnet's stem with an EMA codebook, the paper's net with a loss-trained one) it draws
weights and buffers in PyTorch, saves the state dict as `vq4j import --format pytorch` reads it
(pytorch_vqvae_<name>.safetensors, model_config in the metadata), and runs the forward pass on a fixed batch
(pytorch_vqvae_<name>_forward.safetensors: input, z_e, codes, reconstruction; NHWC so that the Java test
compares them with vq4j's tensors directly). The forward runs in float64 on the float32 weights, rounded
once. The codebook is drawn around encoder outputs, and the script checks that every latent's nearest code
wins by a clear margin, so that float32 rounding in vq4j cannot pick another code.

    python tests/golden/make_pytorch_vqvae.py                     # writes tests/golden/data/pytorch_vqvae_*
    python tests/golden/make_pytorch_vqvae.py --check EXPORT.safetensors   # loads a vq4j export, runs it

Needs torch and safetensors (pip install torch safetensors).
"""

import json
import os
import sys

import safetensors.torch
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples", "pytorch"))
import vqvae  # noqa: E402

DATA_DIR = os.path.join(HERE, "data")
MARGIN = 1e-2  # the nearest code's squared distance must beat the second's by this, relative to it

BASE = dict(preset="custom", imageSize=16, residualHidden=8, residualBlocks=2, numEmbeddings=32, beta=0.25,
            emaDecay=0.99, emaEpsilon=1e-5, deadCodeThreshold=1.0, restartDeadCodes=True,
            initCodebookFromData=True, seed=1)
CONFIGS = {
    "sonnet_ema": dict(BASE, imageChannels=1, hidden=16, stem=True, embeddingDim=8, ema=True),
    "paper": dict(BASE, imageChannels=3, hidden=16, stem=False, embeddingDim=16, ema=False),
}


def margins(model, z_e):
    flat = z_e.permute(0, 2, 3, 1).reshape(-1, z_e.shape[1])
    dist = ((flat[:, None, :] - model.quantizer.codebook[None, :, :]) ** 2).sum(-1)
    two = dist.topk(2, dim=1, largest=False).values
    return (two[:, 1] - two[:, 0]) / two[:, 1].clamp_min(1e-12)


def make(name, config, seed):
    """Writes the two files and returns True, or False when a latent's nearest code wins by too little."""
    torch.manual_seed(seed)
    model = vqvae.VqVae(config)
    x = torch.rand(4, config["imageChannels"], config["imageSize"], config["imageSize"]) - 0.5
    with torch.no_grad():
        z_e = model.encoder(x)
        rows = z_e.permute(0, 2, 3, 1).reshape(-1, z_e.shape[1])
        pick = torch.randperm(rows.shape[0])[: config["numEmbeddings"]]
        model.quantizer.codebook.copy_(rows[pick] + 0.2 * rows.std(0) * torch.randn_like(rows[pick]))
        model.quantizer.usage.copy_(torch.rand(config["numEmbeddings"]) * 3)
        if config["ema"]:
            model.quantizer.ema_count.copy_(torch.rand(config["numEmbeddings"]) * 5 + 0.5)
            model.quantizer.ema_sum.copy_(model.quantizer.codebook * model.quantizer.ema_count[:, None])
    state = {k: v.detach().float().contiguous() for k, v in model.state_dict().items()}
    meta = {"format": "vq4j-vqvae-pytorch-1", "model_config": json.dumps(config)}
    safetensors.torch.save_file(state, os.path.join(DATA_DIR, f"pytorch_vqvae_{name}.safetensors"), metadata=meta)

    ref = model.double().eval()
    with torch.no_grad():
        z_e = ref.encoder(x.double())
        recon, codes = ref(x.double())
        m = margins(ref, z_e)
    if m.min() <= MARGIN:
        return False
    nhwc = lambda t: t.permute(0, 2, 3, 1).float().contiguous()  # noqa: E731
    out = {"input": nhwc(x), "z_e": nhwc(z_e), "codes": codes.int().contiguous(), "recon": nhwc(recon)}
    safetensors.torch.save_file(out, os.path.join(DATA_DIR, f"pytorch_vqvae_{name}_forward.safetensors"),
                                metadata={"model": f"pytorch_vqvae_{name}.safetensors"})
    print(f"{name}: {sum(v.numel() for v in state.values())} values, {len(set(codes.flatten().tolist()))} codes "
          f"used of {config['numEmbeddings']}, min margin {m.min():.3f}, recon max |y| {recon.abs().max():.3f}, "
          f"seed {seed}")
    return True


def check(path):
    model = vqvae.VqVae.from_export(path)  # strict load_state_dict: every name and shape must match
    c = model.config
    x = torch.rand(2, c["imageChannels"], c["imageSize"], c["imageSize"]) - 0.5
    with torch.no_grad():
        recon, codes = model(x)
    print(f"{path}: loaded strictly; forward {tuple(x.shape)} -> {tuple(recon.shape)}, codes {tuple(codes.shape)}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
    else:
        for i, (name, config) in enumerate(CONFIGS.items()):
            # The first seed whose draws clear the margin, so that reruns give the same files.
            seed = 100 * (i + 1)
            while not make(name, config, seed):
                seed += 1
