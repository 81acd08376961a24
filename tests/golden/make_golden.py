#!/usr/bin/env python3
"""Golden-value generator for vq4j's JUnit op tests.

Run once by a developer; the .safetensors files it writes under
tests/golden/data/ are committed, so the build itself never needs Python.

    python tests/golden/make_golden.py          # (re)write tests/golden/data/
    python tests/golden/make_golden.py --check  # also re-read and verify

Precision: every input is drawn as float32 (that is what the Java side is fed),
then promoted to float64 and every output/gradient is computed in float64 and
rounded to float32 once at the end. The stored values are therefore the
correctly rounded results for the stored inputs, so test tolerances only have
to cover the library's own float32 error, not PyTorch's.

Layouts follow the library, not PyTorch: activations NHWC, conv2d weight
[co, kh, kw, ci], conv_transpose2d weight [ci, kh, kw, co].

Files are written by hand in the safetensors format (8-byte LE header length,
JSON header padded with spaces to a multiple of 8, then raw LE data) so that
regenerating does not need the safetensors package.
"""

import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")

F32 = torch.float32
F64 = torch.float64


# ----------------------------------------------------------------------------
# safetensors writer / reader
# ----------------------------------------------------------------------------

def _to_numpy(t):
    if isinstance(t, torch.Tensor):
        t = t.detach().cpu()
        if t.is_floating_point():
            # "+ 0.0" turns -0.0 (e.g. grads at masked taps) into +0.0, so
            # bit-exact or sign-sensitive comparisons in tests don't trip on it.
            return (t.to(F32) + 0.0).numpy().astype("<f4")
        return t.to(torch.int32).numpy().astype("<i4")
    a = np.asarray(t)
    if a.dtype.kind == "f":
        return a.astype("<f4")
    return a.astype("<i4")


def write_safetensors(path, tensors, metadata):
    header = {}
    blobs = []
    offset = 0
    for name, arr in tensors.items():
        raw = np.ascontiguousarray(arr).tobytes()
        header[name] = {
            "dtype": "F32" if arr.dtype == np.dtype("<f4") else "I32",
            "shape": list(arr.shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    hbytes = json.dumps(header).encode("utf-8")
    # Padding keeps the data section 8-byte aligned (8-byte length prefix +
    # header), which lets readers map tensors without copying.
    hbytes += b" " * ((-len(hbytes)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for raw in blobs:
            f.write(raw)


def read_safetensors(path):
    with open(path, "rb") as f:
        buf = f.read()
    (hlen,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + hlen].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    base = 8 + hlen
    out = {}
    end_max = 0
    for name, info in header.items():
        b, e = info["data_offsets"]
        dt = {"F32": "<f4", "I32": "<i4"}[info["dtype"]]
        arr = np.frombuffer(buf[base + b:base + e], dtype=dt)
        out[name] = arr.reshape(info["shape"])
        end_max = max(end_max, e)
    assert base + end_max == len(buf), f"{path}: trailing bytes"
    return out, meta, list(header.keys())


# ----------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------

def randn(*shape):
    """float32 draw promoted to float64, so the f64 math sees exactly the stored input."""
    return torch.randn(*shape, dtype=F32).to(F64)


def leaf(t):
    return t.clone().requires_grad_(True)


def fstr(x):
    return repr(float(x))


def nchw_to_nhwc(t):
    return t.permute(0, 2, 3, 1).contiguous()


CASES = {}  # name -> (ordered dict of numpy arrays, metadata dict)


def emit(name, tensors, metadata):
    CASES[name] = ({k: _to_numpy(v) for k, v in tensors.items()}, metadata)


# ----------------------------------------------------------------------------
# 1. conv2d
# ----------------------------------------------------------------------------

def conv2d_case(name, seed, n, h, w, ci, co, k, stride, pad, bias):
    torch.manual_seed(seed)
    x = randn(n, ci, h, w)
    wt = randn(co, ci, k, k) * (1.0 / math.sqrt(ci * k * k))
    b = randn(co) if bias else None
    xl, wl = leaf(x), leaf(wt)
    bl = leaf(b) if bias else None
    y = F.conv2d(xl, wl, bl, stride=stride, padding=pad)
    dy = randn(*y.shape)
    (y * dy).sum().backward()
    t = {"x": nchw_to_nhwc(x), "w": wt.permute(0, 2, 3, 1)}
    if bias:
        t["b"] = b
    t.update({"y": nchw_to_nhwc(y), "dy": nchw_to_nhwc(dy),
              "dx": nchw_to_nhwc(xl.grad), "dw": wl.grad.permute(0, 2, 3, 1)})
    if bias:
        t["db"] = bl.grad
    emit(name, t, dict(op="conv2d", n=n, h=h, w=w, ci=ci, co=co, kh=k, kw=k,
                       stride=stride, pad=pad, bias=1 if bias else 0))


# ----------------------------------------------------------------------------
# 2. conv_transpose2d
# ----------------------------------------------------------------------------

def conv_transpose2d_case(name, seed, n, h, w, ci, co, k, stride, pad, bias):
    torch.manual_seed(seed)
    x = randn(n, ci, h, w)
    wt = randn(ci, co, k, k) * (1.0 / math.sqrt(ci * k * k))  # PyTorch layout [ci,co,kh,kw]
    b = randn(co) if bias else None
    xl, wl = leaf(x), leaf(wt)
    bl = leaf(b) if bias else None
    y = F.conv_transpose2d(xl, wl, bl, stride=stride, padding=pad)
    assert y.shape[2] == (h - 1) * stride - 2 * pad + k
    assert y.shape[3] == (w - 1) * stride - 2 * pad + k
    dy = randn(*y.shape)
    (y * dy).sum().backward()
    t = {"x": nchw_to_nhwc(x), "w": wt.permute(0, 2, 3, 1)}
    if bias:
        t["b"] = b
    t.update({"y": nchw_to_nhwc(y), "dy": nchw_to_nhwc(dy),
              "dx": nchw_to_nhwc(xl.grad), "dw": wl.grad.permute(0, 2, 3, 1)})
    if bias:
        t["db"] = bl.grad
    emit(name, t, dict(op="conv_transpose2d", n=n, h=h, w=w, ci=ci, co=co, kh=k, kw=k,
                       stride=stride, pad=pad, bias=1 if bias else 0))


# ----------------------------------------------------------------------------
# 3. masked_conv2d (PixelCNN-style masks)
# ----------------------------------------------------------------------------

MASKS = ["A", "B", "V_A", "V_B", "H_A", "H_B"]  # index == integer mask code


def make_mask(mask_name, k):
    c = k // 2
    m = torch.zeros(k, k, dtype=F64)
    for i in range(k):
        for j in range(k):
            m[i, j] = {
                "A": i < c or (i == c and j < c),
                "B": i < c or (i == c and j <= c),
                "V_A": i < c,
                "V_B": i <= c,
                "H_A": i == c and j < c,
                "H_B": i == c and j <= c,
            }[mask_name]
    return m


def masked_conv2d_case(mask_name, k, seed, n=2, h=5, w=4, ci=3, co=4):
    torch.manual_seed(seed)
    x = randn(n, ci, h, w)
    # Raw weights are stored with random values at masked taps, so a library
    # that forgets to apply the mask fails the test instead of passing by luck.
    wt = randn(co, ci, k, k) * (1.0 / math.sqrt(ci * k * k))
    b = randn(co)
    mask = make_mask(mask_name, k)
    xl, wl, bl = leaf(x), leaf(wt), leaf(b)
    y = F.conv2d(xl, wl * mask, bl, stride=1, padding=k // 2)
    dy = randn(*y.shape)
    (y * dy).sum().backward()
    assert torch.all(wl.grad[:, :, mask == 0] == 0)
    emit(f"masked_conv2d_{mask_name}_k{k}", {
        "x": nchw_to_nhwc(x), "w": wt.permute(0, 2, 3, 1), "b": b,
        "y": nchw_to_nhwc(y), "dy": nchw_to_nhwc(dy),
        "dx": nchw_to_nhwc(xl.grad), "dw": wl.grad.permute(0, 2, 3, 1), "db": bl.grad,
    }, dict(op="masked_conv2d", n=n, h=h, w=w, ci=ci, co=co, k=k,
            mask=MASKS.index(mask_name), mask_name=mask_name))


# ----------------------------------------------------------------------------
# 4..5 relu, add
# ----------------------------------------------------------------------------

def relu_case():
    torch.manual_seed(400)
    x = randn(3, 5)
    # ReLU's derivative at 0 is a convention; keep inputs clear of it.
    x = x + 0.05 * torch.sign(x)
    x[x == 0] = 0.05
    xl = leaf(x)
    y = F.relu(xl)
    dy = randn(3, 5)
    (y * dy).sum().backward()
    emit("relu", {"x": x, "y": y, "dy": dy, "dx": xl.grad}, dict(op="relu"))


def add_case():
    torch.manual_seed(500)
    a, b = randn(2, 3, 4), randn(2, 3, 4)
    emit("add", {"a": a, "b": b, "y": a + b}, dict(op="add"))


# ----------------------------------------------------------------------------
# 6. vq_quantize
# ----------------------------------------------------------------------------

def vq_quantize_case(rows=20, d=6, k=11, beta=0.25, codebook_weight=1.0):
    for attempt in range(1000):
        torch.manual_seed(600 + attempt)
        z_e = randn(rows, d)
        codebook = randn(k, d)
        dist = ((z_e[:, None, :] - codebook[None, :, :]) ** 2).sum(-1)
        srt = dist.sort(dim=1).values
        counts = torch.bincount(dist.argmin(1), minlength=k)
        # A near-tie would make the expected code depend on float32 rounding
        # order in the library; also want both unused and reused codes covered.
        if ((srt[:, 1] - srt[:, 0]) > 1e-3).all() and (counts == 0).any() and (counts >= 2).any():
            break
    else:
        raise RuntimeError("vq_quantize: no suitable seed")
    codes = dist.argmin(1)
    z_el, cbl = leaf(z_e), leaf(codebook)
    z_q = cbl[codes]
    z_st = z_el + (z_q - z_el).detach()
    dz_q = randn(rows, d)
    L = ((z_st * dz_q).sum()
         + codebook_weight * ((z_el.detach() - z_q) ** 2).mean()
         + beta * ((z_el - z_q.detach()) ** 2).mean())
    L.backward()
    loss = ((z_e - codebook[codes]) ** 2).mean().reshape(1)
    countsf = counts.to(F64)
    p = countsf / rows
    plogp = torch.where(p > 0, p * torch.log(torch.where(p > 0, p, torch.ones_like(p))),
                        torch.zeros_like(p))
    perplexity = torch.exp(-plogp.sum()).reshape(1)
    emit("vq_quantize", {
        "z_e": z_e, "codebook": codebook, "codes": codes, "z_q": codebook[codes],
        "loss": loss, "dz_q": dz_q, "dz_e": z_el.grad, "dcodebook": cbl.grad,
        "counts": countsf, "perplexity": perplexity,
    }, dict(op="vq_quantize", rows=rows, d=d, k=k, beta=fstr(beta),
            codebook_weight=fstr(codebook_weight)))


# ----------------------------------------------------------------------------
# 7. vq_ema_update
# ----------------------------------------------------------------------------

def vq_ema_update_case(rows=24, d=5, k=7, gamma=0.99, eps=1e-5):
    for attempt in range(1000):
        torch.manual_seed(700 + attempt)
        z_e = randn(rows, d)
        codes = torch.randint(0, k, (rows,))
        n = torch.bincount(codes, minlength=k)
        # The unused-code path (count only decays, sum only decays) must be exercised.
        if (n == 0).any() and (n >= 2).any():
            break
    else:
        raise RuntimeError("vq_ema_update: no suitable seed")
    ema_count_in = (torch.rand(k, dtype=F32) * 2.5 + 0.5).to(F64)
    ema_sum_in = randn(k, d)
    s = torch.zeros(k, d, dtype=F64).index_add_(0, codes, z_e)
    ema_count_out = gamma * ema_count_in + (1 - gamma) * n.to(F64)
    ema_sum_out = gamma * ema_sum_in + (1 - gamma) * s
    total = ema_count_out.sum()
    smoothed = (ema_count_out + eps) / (total + k * eps) * total
    codebook_out = ema_sum_out / smoothed[:, None]
    emit("vq_ema_update", {
        "z_e": z_e, "codes": codes, "ema_count_in": ema_count_in, "ema_sum_in": ema_sum_in,
        "ema_count_out": ema_count_out, "ema_sum_out": ema_sum_out, "codebook_out": codebook_out,
    }, dict(op="vq_ema_update", rows=rows, d=d, k=k, gamma=fstr(gamma), eps=fstr(eps)))


# ----------------------------------------------------------------------------
# vq_dead_codes
# ----------------------------------------------------------------------------

U64 = (1 << 64) - 1


def dead_code_row(key, j, rows):
    """The row dead code j restarts from (vq_dead_codes.h): SplitMix64's finaliser, scaled to [0, rows)."""
    z = (key + (j + 1) * 0x9E3779B97F4A7C15) & U64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & U64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & U64
    z ^= z >> 31
    return ((z >> 32) * rows) >> 32


def vq_dead_codes_case(rows=29, d=4, k=23, decay=0.99, threshold=1.0, key=0x0123456789ABCDEF):
    """Usage update, dead count and restart with the EMA state; the loss-trained codebook ignores the EMA outputs."""
    torch.manual_seed(1300)
    counts = torch.randint(0, 4, (k,), dtype=torch.int64).to(F64)
    counts[::3] = 0
    usage_in = (torch.rand(k, dtype=F32) * 2).to(F64)
    usage_in[::5] = float(np.float32(1.004))  # decays to just under the threshold with no use: dead
    z_e = randn(rows, d)
    codebook_in = randn(k, d)
    ema_count_in = (torch.rand(k, dtype=F32) * 2.5 + 0.5).to(F64)
    ema_sum_in = randn(k, d)
    # In double, rounded once to float32: the op's update; the threshold compares the rounded value.
    usage = torch.from_numpy((decay * usage_in.numpy() + (1.0 - decay) * counts.numpy()).astype(np.float32)).to(F64)
    if ((usage - threshold).abs() < 1e-5).any():
        raise RuntimeError("vq_dead_codes: a usage sits on the threshold")
    dead = usage < threshold
    restarted = dead.to(torch.int32)
    codebook_out, ema_count_out, ema_sum_out, usage_out = (
        codebook_in.clone(), ema_count_in.clone(), ema_sum_in.clone(), usage.clone())
    for j in torch.nonzero(dead).flatten().tolist():
        row = z_e[dead_code_row(key, j, rows)]
        codebook_out[j] = row
        ema_sum_out[j] = row
        ema_count_out[j] = 1.0
        usage_out[j] = 1.0
    if not 0 < int(dead.sum()) < k:
        raise RuntimeError("vq_dead_codes: want some live and some dead codes")
    emit("vq_dead_codes", {
        "counts": counts, "usage_in": usage_in, "z_e": z_e, "codebook_in": codebook_in,
        "ema_count_in": ema_count_in, "ema_sum_in": ema_sum_in, "usage_out": usage_out,
        "codebook_out": codebook_out, "ema_count_out": ema_count_out, "ema_sum_out": ema_sum_out,
        "restarted": restarted, "dead": torch.tensor([float(dead.sum())], dtype=F64),
    }, dict(op="vq_dead_codes", rows=rows, d=d, k=k, decay=fstr(decay), threshold=fstr(threshold), key=str(key)))


# ----------------------------------------------------------------------------
# 8..11 gated_activation, mse, softmax_xent, embedding
# ----------------------------------------------------------------------------

def gated_activation_case(rows=6, c=5):
    torch.manual_seed(800)
    x = randn(rows, 2 * c) * 1.5
    xl = leaf(x)
    y = torch.tanh(xl[:, :c]) * torch.sigmoid(xl[:, c:])
    dy = randn(rows, c)
    (y * dy).sum().backward()
    emit("gated_activation", {"x": x, "y": y, "dy": dy, "dx": xl.grad},
         dict(op="gated_activation", rows=rows, c=c))


def mse_case(scale=0.5):
    torch.manual_seed(900)
    pred, target = randn(4, 7), randn(4, 7)
    pl = leaf(pred)
    loss = ((pl - target) ** 2).mean()
    (scale * loss).backward()
    emit("mse", {"pred": pred, "target": target, "loss": loss.reshape(1), "dpred": pl.grad},
         dict(op="mse", count=pred.numel(), scale=fstr(scale)))


def softmax_xent_case(rows=9, k=13, scale=2.0):
    torch.manual_seed(1000)
    logits = randn(rows, k) * 3
    targets = torch.randint(0, k, (rows,))
    ll = leaf(logits)
    loss = F.cross_entropy(ll, targets)
    (scale * loss).backward()
    nll = F.cross_entropy(logits, targets, reduction="none")
    emit("softmax_xent", {"logits": logits, "targets": targets, "loss": loss.reshape(1),
                          "nll": nll, "dlogits": ll.grad},
         dict(op="softmax_xent", rows=rows, k=k, scale=fstr(scale)))


def embedding_case(rows=10, d=4, k=6):
    for attempt in range(1000):
        torch.manual_seed(1100 + attempt)
        ids = torch.randint(0, k, (rows,))
        # Exactly one unused id (its dtable row must stay 0) and repeats
        # (gradient must accumulate, not overwrite).
        if len(set(ids.tolist())) == k - 1:
            break
    else:
        raise RuntimeError("embedding: no suitable seed")
    table = randn(k, d)
    tl = leaf(table)
    y = tl[ids]
    dy = randn(rows, d)
    (y * dy).sum().backward()
    emit("embedding", {"ids": ids, "table": table, "y": y, "dy": dy, "dtable": tl.grad},
         dict(op="embedding", rows=rows, d=d, k=k))


# ----------------------------------------------------------------------------
# 12. adam
# ----------------------------------------------------------------------------

def adam_case(name, seed, weight_decay, count=17, lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8):
    # torch.optim.Adam: weight_decay is classic L2 (wd*param added to the grad
    # before the moments), NOT AdamW's decoupled decay; bias correction uses t.
    torch.manual_seed(seed)
    p = torch.nn.Parameter(randn(count))
    opt = torch.optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay)
    for _ in range(2):
        p.grad = randn(count)
        opt.step()
    # Round the snapshot to float32 and continue from the rounded values, so
    # step 3 is exactly what the library computes from the stored inputs.
    st = opt.state[p]
    param_in = p.detach().to(F32).to(F64)
    m_in = st["exp_avg"].to(F32).to(F64)
    v_in = st["exp_avg_sq"].to(F32).to(F64)
    with torch.no_grad():
        p.copy_(param_in)
        st["exp_avg"].copy_(m_in)
        st["exp_avg_sq"].copy_(v_in)
    grad = randn(count)
    p.grad = grad.clone()
    opt.step()
    t = int(st["step"].item()) if torch.is_tensor(st["step"]) else int(st["step"])
    assert t == 3
    emit(name, {"param_in": param_in, "m_in": m_in, "v_in": v_in, "grad": grad,
                "param_out": p.detach(), "m_out": st["exp_avg"], "v_out": st["exp_avg_sq"]},
         dict(op="adam", count=count, lr=fstr(lr), beta1=fstr(beta1), beta2=fstr(beta2),
              eps=fstr(eps), weight_decay=fstr(weight_decay), t=t))


# ----------------------------------------------------------------------------
# independent checks (used by --check)
# ----------------------------------------------------------------------------

def ref_conv2d_nhwc(x, w, b, stride, pad):
    """Naive loop in the library's layouts, to catch a wrong permute in the generator."""
    n, h, wd, ci = x.shape
    co, kh, kw, _ = w.shape
    oh, ow = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    y = np.zeros((n, oh, ow, co))
    for oy in range(oh):
        for ox in range(ow):
            for i in range(kh):
                for j in range(kw):
                    iy, ix = oy * stride - pad + i, ox * stride - pad + j
                    if 0 <= iy < h and 0 <= ix < wd:
                        y[:, oy, ox, :] += x[:, iy, ix, :].astype(np.float64) @ w[:, i, j, :].T.astype(np.float64)
    if b is not None:
        y += b
    return y


def ref_conv_transpose2d_nhwc(x, w, b, stride, pad):
    n, h, wd, ci = x.shape
    _, kh, kw, co = w.shape
    oh, ow = (h - 1) * stride - 2 * pad + kh, (wd - 1) * stride - 2 * pad + kw
    y = np.zeros((n, oh, ow, co))
    for iy in range(h):
        for ix in range(wd):
            for i in range(kh):
                for j in range(kw):
                    oy, ox = iy * stride - pad + i, ix * stride - pad + j
                    if 0 <= oy < oh and 0 <= ox < ow:
                        y[:, oy, ox, :] += x[:, iy, ix, :].astype(np.float64) @ w[:, i, j, :].astype(np.float64)
    if b is not None:
        y += b
    return y


def check_all():
    ok = True
    for name, (tensors, meta) in CASES.items():
        path = os.path.join(DATA_DIR, name + ".safetensors")
        got, gmeta, order = read_safetensors(path)
        if order != list(tensors.keys()):
            print(f"FAIL {name}: tensor order {order}"); ok = False
        for k, v in tensors.items():
            g = got[k]
            if g.dtype != v.dtype or g.shape != v.shape or g.tobytes() != v.tobytes():
                print(f"FAIL {name}.{k}: mismatch after re-read"); ok = False
        if gmeta != {k: str(v) for k, v in meta.items()}:
            print(f"FAIL {name}: metadata {gmeta}"); ok = False
        op = gmeta["op"]
        if op in ("conv2d", "masked_conv2d", "conv_transpose2d"):
            s = int(gmeta.get("stride", 1))
            p = int(gmeta["pad"]) if "pad" in gmeta else int(gmeta["k"]) // 2
            w = got["w"].astype(np.float64)
            if op == "masked_conv2d":
                w = w * make_mask(gmeta["mask_name"], int(gmeta["k"])).numpy()[None, :, :, None]
            fn = ref_conv_transpose2d_nhwc if op == "conv_transpose2d" else ref_conv2d_nhwc
            ref = fn(got["x"], w, got.get("b"), s, p)
            err = np.abs(ref - got["y"]).max()
            if ref.shape != got["y"].shape or err > 1e-5:
                print(f"FAIL {name}: naive reference disagrees (err {err})"); ok = False
    return ok


# ----------------------------------------------------------------------------

def build():
    conv2d_case("conv2d_k3s1p1", 100, n=2, h=5, w=6, ci=3, co=4, k=3, stride=1, pad=1, bias=True)
    conv2d_case("conv2d_k4s2p1", 101, n=2, h=8, w=8, ci=3, co=5, k=4, stride=2, pad=1, bias=True)
    conv2d_case("conv2d_k1s1p0", 102, n=2, h=4, w=3, ci=6, co=5, k=1, stride=1, pad=0, bias=False)
    conv2d_case("conv2d_k3s2p0", 103, n=1, h=7, w=9, ci=2, co=3, k=3, stride=2, pad=0, bias=False)

    conv_transpose2d_case("conv_transpose2d_k4s2p1", 200, n=2, h=4, w=5, ci=3, co=2, k=4, stride=2, pad=1, bias=True)
    conv_transpose2d_case("conv_transpose2d_k3s1p1", 201, n=1, h=5, w=5, ci=4, co=3, k=3, stride=1, pad=1, bias=True)
    conv_transpose2d_case("conv_transpose2d_k3s2p0", 202, n=2, h=3, w=4, ci=2, co=3, k=3, stride=2, pad=0, bias=False)

    seed = 300
    for m in MASKS:
        masked_conv2d_case(m, 3, seed); seed += 1
    for m in ["B", "H_B", "V_A"]:
        masked_conv2d_case(m, 5, seed); seed += 1

    relu_case()
    add_case()
    vq_quantize_case()
    vq_ema_update_case()
    vq_dead_codes_case()
    gated_activation_case()
    mse_case()
    softmax_xent_case()
    embedding_case()
    adam_case("adam", 1200, weight_decay=0.0)
    adam_case("adam_wd", 1201, weight_decay=0.01)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true",
                    help="re-read every written file and verify it against the in-memory tensors")
    args = ap.parse_args()

    torch.set_num_threads(1)  # single-threaded reductions: byte-identical regeneration
    build()
    os.makedirs(DATA_DIR, exist_ok=True)
    total = 0
    for name, (tensors, meta) in CASES.items():
        path = os.path.join(DATA_DIR, name + ".safetensors")
        write_safetensors(path, tensors, meta)
        size = os.path.getsize(path)
        total += size
        print(f"{name + '.safetensors':40s} {size:6d} B  {', '.join(tensors.keys())}")
    print(f"{len(CASES)} files, {total} bytes total in {DATA_DIR}")
    if args.check:
        if not check_all():
            print("CHECK FAILED")
            sys.exit(1)
        print(f"check OK: {len(CASES)} files re-read and verified")


if __name__ == "__main__":
    main()
