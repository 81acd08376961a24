#!/usr/bin/env python3
"""Golden values for one full VQ-VAE training step (tests/ai/vq4j/train/VqVaeGoldenStepTest.java).

A small VQ-VAE of vq4j's architecture (Sonnet's, with the stem convs) is built in PyTorch with weights drawn
here; one step on a fixed batch gives the loss, the codes, every parameter gradient and the parameters after
one Adam step. Two files: the loss-trained codebook (vqvae_step.safetensors) and the EMA codebook
(vqvae_step_ema.safetensors, which also holds the codebook and EMA state after the update). Float64 math on
float32 draws, rounded once, as make_golden.py does.

    python tests/golden/make_vqvae_step.py

Layouts follow vq4j: NHWC activations, conv weights [co, kh, kw, ci], transposed-conv weights [ci, kh, kw, co].
Parameter tensors are named "param.<vq4j parameter name>", their gradients "grad.<name>", their values after
the Adam step "after.<name>".
"""

import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden import DATA_DIR, F32, F64, write_safetensors, _to_numpy  # noqa: E402

CFG = dict(image_channels=1, image_size=8, hidden=8, residual_hidden=4, residual_blocks=1, embedding_dim=4,
           num_embeddings=6, beta=0.25, batch=3, data_variance=0.07, lr=3e-4, ema_decay=0.99, ema_eps=1e-5)


def conv_w(co, ci, k):
    return (torch.rand(co, ci, k, k, dtype=F32) * 2 - 1).to(F64) / (ci * k * k) ** 0.5


def convt_w(ci, co, k):
    return (torch.rand(ci, co, k, k, dtype=F32) * 2 - 1).to(F64) / (co * k * k) ** 0.5


def bias(n, fan_in):
    return (torch.rand(n, dtype=F32) * 2 - 1).to(F64) / fan_in ** 0.5


def make_params():
    """name -> (torch layout tensor, kind) in vq4j's parameter order."""
    c, h, r, d, k = (CFG["image_channels"], CFG["hidden"], CFG["residual_hidden"], CFG["embedding_dim"],
                     CFG["num_embeddings"])
    p = {}

    def conv(name, ci, co, ks):
        p[name + ".weight"] = (conv_w(co, ci, ks), "conv")
        p[name + ".bias"] = (bias(co, ci * ks * ks), "bias")

    def convt(name, ci, co, ks):
        p[name + ".weight"] = (convt_w(ci, co, ks), "convt")
        p[name + ".bias"] = (bias(co, co * ks * ks), "bias")

    conv("encoder.conv1", c, h // 2, 4)
    conv("encoder.conv2", h // 2, h, 4)
    conv("encoder.conv3", h, h, 3)
    for i in range(CFG["residual_blocks"]):
        conv(f"encoder.res.{i}.conv3", h, r, 3)
        conv(f"encoder.res.{i}.conv1", r, h, 1)
    conv("encoder.pre_vq", h, d, 1)
    p["quantizer.codebook"] = (torch.randn(k, d, dtype=F32).to(F64) * 0.5, "plain")
    conv("decoder.conv1", d, h, 3)
    for i in range(CFG["residual_blocks"]):
        conv(f"decoder.res.{i}.conv3", h, r, 3)
        conv(f"decoder.res.{i}.conv1", r, h, 1)
    convt("decoder.convt1", h, h // 2, 4)
    convt("decoder.convt2", h // 2, c, 4)
    # Rounded to float32 first: the stored weights are what vq4j computes with.
    return {n: (t.to(F32).to(F64).requires_grad_(True), kind) for n, (t, kind) in p.items()}


def to_vq4j(t, kind):
    # conv [co, ci, kh, kw] -> [co, kh, kw, ci]; convT [ci, co, kh, kw] -> [ci, kh, kw, co]: the same permute.
    return t.permute(0, 2, 3, 1) if kind in ("conv", "convt") else t


def res_stack(x, p, prefix):
    for i in range(CFG["residual_blocks"]):
        hdn = F.conv2d(F.relu(x), p[f"{prefix}.{i}.conv3.weight"][0], p[f"{prefix}.{i}.conv3.bias"][0], padding=1)
        hdn = F.conv2d(F.relu(hdn), p[f"{prefix}.{i}.conv1.weight"][0], p[f"{prefix}.{i}.conv1.bias"][0])
        x = x + hdn
    return F.relu(x)


def forward(x, p, ema):
    w = lambda n: p[n][0]  # noqa: E731
    z = F.relu(F.conv2d(x, w("encoder.conv1.weight"), w("encoder.conv1.bias"), stride=2, padding=1))
    z = F.relu(F.conv2d(z, w("encoder.conv2.weight"), w("encoder.conv2.bias"), stride=2, padding=1))
    z = F.conv2d(z, w("encoder.conv3.weight"), w("encoder.conv3.bias"), padding=1)
    z = res_stack(z, p, "encoder.res")
    z_e = F.conv2d(z, w("encoder.pre_vq.weight"), w("encoder.pre_vq.bias"))  # NCHW
    flat = z_e.permute(0, 2, 3, 1).reshape(-1, CFG["embedding_dim"])
    book = w("quantizer.codebook")
    dist = (flat.detach()[:, None, :] - book.detach()[None, :, :]).pow(2).sum(-1)
    top2 = dist.topk(2, largest=False).values
    margin = (top2[:, 1] - top2[:, 0]).min().item()
    codes = dist.argmin(1)
    z_q_flat = book[codes]
    commit = F.mse_loss(flat, z_q_flat.detach())
    codebook_term = F.mse_loss(z_q_flat, flat.detach())
    z_q_st = flat + (z_q_flat - flat).detach()
    n, _, hh, ww = z_e.shape
    zq = z_q_st.reshape(n, hh, ww, -1).permute(0, 3, 1, 2)
    y = F.conv2d(zq, w("decoder.conv1.weight"), w("decoder.conv1.bias"), padding=1)
    y = res_stack(y, p, "decoder.res")
    y = F.relu(F.conv_transpose2d(y, w("decoder.convt1.weight"), w("decoder.convt1.bias"), stride=2, padding=1))
    recon = F.conv_transpose2d(y, w("decoder.convt2.weight"), w("decoder.convt2.bias"), stride=2, padding=1)
    recon_mse = F.mse_loss(recon, x)
    vq_term = CFG["beta"] * commit if ema else codebook_term + CFG["beta"] * commit
    loss = recon_mse / CFG["data_variance"] + vq_term
    return loss, recon_mse, commit, codes, flat.detach(), margin, recon.detach()


def case(name, seed, ema):
    torch.manual_seed(seed)
    p = make_params()
    s, c = CFG["image_size"], CFG["image_channels"]
    x = (torch.rand(CFG["batch"], c, s, s, dtype=F32) - 0.5).to(F64)
    loss, recon_mse, commit, codes, flat, margin, recon = forward(x, p, ema)
    if margin < 1e-3:
        raise SystemExit(f"{name}: nearest-code margin {margin:.2e} too small for a float32 comparison; change seed")
    loss.backward()
    n = CFG["batch"]
    out = {"x": x.permute(0, 2, 3, 1), "z_e": flat.reshape(n, s // 4, s // 4, -1), "recon": recon.permute(0, 2, 3, 1)}
    trainable = [n for n in p if not (ema and n == "quantizer.codebook")]
    for n, (t, kind) in p.items():
        out["param." + n] = to_vq4j(t.detach(), kind).clone()  # the Adam step below updates t in place
    for n in trainable:
        t, kind = p[n]
        out["grad." + n] = to_vq4j(t.grad, kind).clone()
    opt = torch.optim.Adam([p[n][0] for n in trainable], lr=CFG["lr"])
    opt.step()
    for n in trainable:
        t, kind = p[n]
        out["after." + n] = to_vq4j(t.detach(), kind)
    out["codes"] = codes.reshape(CFG["batch"], s // 4, s // 4).to(torch.int32)
    if ema:
        k, g, eps = CFG["num_embeddings"], CFG["ema_decay"], CFG["ema_eps"]
        book = p["quantizer.codebook"][0].detach()
        onehot = F.one_hot(codes, k).to(F64)
        count = g * torch.ones(k, dtype=F64) + (1 - g) * onehot.sum(0)
        ema_sum = g * book + (1 - g) * onehot.t() @ flat
        total = count.sum()
        smoothed = (count + eps) / (total + k * eps) * total
        out["after.quantizer.codebook"] = ema_sum / smoothed[:, None]
        out["after.ema_count"] = count
        out["after.ema_sum"] = ema_sum
    meta = {k: str(v) for k, v in CFG.items()}
    meta.update(op="vqvae_step", ema=str(ema).lower(), loss=repr(loss.item()), recon_mse=repr(recon_mse.item()),
                vq_loss=repr(commit.item()), margin=repr(margin))
    write_safetensors(os.path.join(DATA_DIR, name + ".safetensors"), {k: _to_numpy(v) for k, v in out.items()},
                      meta)
    print(f"{name}: loss {loss.item():.6f}, margin {margin:.3g}")


if __name__ == "__main__":
    torch.set_default_dtype(F64)
    case("vqvae_step", 11, ema=False)
    case("vqvae_step_ema", 12, ema=True)
