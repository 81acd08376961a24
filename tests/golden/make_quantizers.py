#!/usr/bin/env python3
"""Golden values for the quantizers of 2023-2025, written from the papers' equations.

    /work/.venv-torch/bin/python tests/golden/make_quantizers.py

Writes tests/golden/data/{vq_rotate_grad,fsq,kmeans_lloyd,l2_normalize}.safetensors with make_golden.py's writer and
precision rules (float32 inputs, float64 math, one rounding at the end).

- Rotation trick (Fifty et al. 2024, "Restructuring Vector Quantization with the Rotation Trick", eq. 4 and
  the Householder form of section 4.2): z_q is read as lambda R z_e with e = z_e/|z_e|, q = z_q/|z_q|,
  r = (e + q)/|e + q|, R = I - 2 r r^T + 2 q e^T and lambda = |z_q|/|z_e|, R and lambda detached; autograd
  gives dz_e. Rows with z_e = 0 or z_q = 0 pass the gradient through; when e = -q, r = 0 (R still maps e to
  q), as lucidrains' vector-quantize-pytorch's safe division does.
- l2-normalised codes (Yu et al. 2021, "Vector-quantized Image Modeling with Improved VQGAN", 3.2): rows
  divided by max(|x|, 1e-12), as torch.nn.functional.normalize; autograd gives the backward.
- FSQ (Mentzer et al. 2023, "Finite Scalar Quantization", section 3 and the reference code's bound()):
  bound(z) = tanh(z + shift) half_l - offset, half_l = (L - 1)(1 + 1e-3)/2, offset = 0.5 for even L,
  shift = atanh(offset/half_l); round with the straight-through estimator; divide by L // 2; codes are the
  mixed-radix numbers of the digits round(bound) + L // 2, channel 0 the least significant.
"""

import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden import DATA_DIR, F64, fstr, leaf, randn, write_safetensors, _to_numpy  # noqa: E402


def rotate(z_e, z_q):
    """lambda R z_e with lambda and R detached: its value is z_q, its gradient the rotation trick's."""
    ze = z_e.detach()
    zq = z_q.detach()
    ne = ze.norm(dim=1, keepdim=True)
    nq = zq.norm(dim=1, keepdim=True)
    plain = ((ne == 0) | (nq == 0)).squeeze(1)
    safe = lambda a, b: torch.where(b == 0, torch.zeros_like(a), a / torch.where(b == 0, torch.ones_like(b), b))
    e = safe(ze, ne)
    q = safe(zq, nq)
    s = e + q
    ns = s.norm(dim=1, keepdim=True)
    r = torch.where(ns ** 2 < 1e-12, torch.zeros_like(s), s / ns.clamp_min(1e-300))
    lam = safe(nq, ne)
    d = ze.shape[1]
    eye = torch.eye(d, dtype=F64).expand(ze.shape[0], d, d)
    R = eye - 2 * r[:, :, None] * r[:, None, :] + 2 * q[:, :, None] * e[:, None, :]
    out = lam * torch.bmm(R, z_e[:, :, None]).squeeze(2)
    return torch.where(plain[:, None], z_e, out)


def rotate_case(rows=24, d=6):
    torch.manual_seed(1400)
    z_e = randn(rows, d)
    z_q = randn(rows, d) * 0.5
    z_e[0] = 0                  # no direction: straight through
    z_q[1] = 0
    z_q[2] = -2 * z_e[2]        # opposite directions: r = 0
    z_q[3] = 3 * z_e[3]         # same direction: a pure rescale
    dz_q = randn(rows, d)
    z = leaf(z_e)
    out = rotate(z, z_q)
    assert torch.allclose(out[2:], z_q[2:], atol=1e-12), "lambda R z_e must equal z_q"
    (out * dz_q).sum().backward()
    return {"z_e": z_e, "z_q": z_q, "dz_q": dz_q, "dz_rot": z.grad}, dict(op="vq_rotate_grad", rows=rows, d=d)


def fsq_case(levels=(8, 5, 5, 5), rows=40):
    lv = torch.tensor(levels, dtype=F64)
    half_l = (lv - 1) * (1 + 1e-3) / 2
    offset = torch.where(lv % 2 == 0, torch.tensor(0.5, dtype=F64), torch.tensor(0.0, dtype=F64))
    shift = torch.atanh(offset / half_l)
    half_width = torch.floor(lv / 2)
    for attempt in range(1000):
        torch.manual_seed(1500 + attempt)
        z = randn(rows, len(levels)) * 1.5
        bounded = torch.tanh(z + shift) * half_l - offset
        frac = bounded - torch.floor(bounded)
        # A value near a rounding boundary would make the expected digit depend on float rounding.
        if ((frac - 0.5).abs() > 1e-4).all():
            break
    else:
        raise RuntimeError("fsq: no suitable seed")
    zl = leaf(z)
    b = torch.tanh(zl + shift) * half_l - offset
    rounded = b + (torch.round(b) - b).detach()
    z_q = rounded / half_width
    dz_q = randn(rows, len(levels))
    (z_q * dz_q).sum().backward()
    digits = (torch.round(bounded) + half_width).long()
    basis = torch.cumprod(torch.tensor((1,) + tuple(levels[:-1])), 0)
    codes = (digits * basis).sum(1)
    assert len(set(codes.tolist())) > rows // 2, "the case should cover many codes"
    return ({"z": z, "z_q": z_q, "codes": codes, "dz_q": dz_q, "dz": zl.grad},
            dict(op="fsq", rows=rows, levels=",".join(str(l) for l in levels)))


def kmeans_case(n=150, d=4, k=6, iterations=4):
    """Lloyd's iterations (assign to the nearest centre, ties to the lowest index; move each centre to the
    mean of its points; an empty centre stays) from the first k points as centres."""
    for attempt in range(1000):
        torch.manual_seed(1600 + attempt)
        blobs = randn(k, d) * 3
        points = (blobs[torch.randint(0, k, (n,))] + randn(n, d)).to(torch.float32).to(F64)
        centres = points[:k].clone()
        margin_ok = True
        history = []
        for _ in range(iterations):
            dist = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
            srt = dist.sort(dim=1).values
            margin_ok &= bool(((srt[:, 1] - srt[:, 0]) > 1e-3).all())
            assign = dist.argmin(1)
            history.append(assign)
            for j in range(k):
                mask = assign == j
                if mask.any():
                    centres[j] = points[mask].mean(0)
        # Near-ties would make the expected assignment depend on float32 rounding in the library.
        if margin_ok and not torch.equal(history[0], history[-1]):
            break
    else:
        raise RuntimeError("kmeans: no suitable seed")
    return ({"points": points, "centres": centres},
            dict(op="kmeans_lloyd", n=n, d=d, k=k, iterations=iterations))


def l2_normalize_case(rows=12, d=5):
    """ViT-VQGAN's l2-normalised codes (Yu et al. 2021, section 3.2): torch.nn.functional.normalize, eps 1e-12."""
    torch.manual_seed(1700)
    x = randn(rows, d)
    x[0] = 0  # a zero row stays zero
    dy = randn(rows, d)
    xl = leaf(x)
    y = torch.nn.functional.normalize(xl, dim=1, eps=1e-12)
    (y * dy).sum().backward()
    return {"x": x, "y": y, "dy": dy, "dx": xl.grad}, dict(op="l2_normalize", rows=rows, d=d)


def main():
    torch.set_num_threads(1)
    os.makedirs(DATA_DIR, exist_ok=True)
    for name, (tensors, meta) in {"vq_rotate_grad": rotate_case(), "fsq": fsq_case(),
                                     "kmeans_lloyd": kmeans_case(), "l2_normalize": l2_normalize_case()}.items():
        path = os.path.join(DATA_DIR, name + ".safetensors")
        write_safetensors(path, {k: _to_numpy(v) for k, v in tensors.items()}, {k: str(v) for k, v in meta.items()})
        print(f"{path}: {', '.join(tensors)}")


if __name__ == "__main__":
    main()
