#!/usr/bin/env python3
"""Golden values for the Gated PixelCNN prior (tests/ai/vq4j/model/PixelCnnGoldenTest.java).

A small prior of vq4j's architecture (java/ai/vq4j/nn/GatedPixelCnnLayer.java, java/ai/vq4j/model/PixelCnnPrior.java)
is built here in PyTorch with weights drawn here: code embedding; gated layers (vertical k x k conv masked to the rows
above (first layer, V_A) or up to its own row (V_B); horizontal k x k conv masked to its own row, left of the centre
(H_A) or up to it (H_B); 1x1 conv from the vertical conv's output into the horizontal gate; 1x1 conv and residual on
the horizontal stack, no residual in the first layer; class bias added inside both gates); head ReLU, 1x1, ReLU, 1x1
to K logits; mean softmax cross-entropy over every position. One forward/backward on fixed codes gives the logits,
the loss, each example's NLL, every parameter gradient, and the parameters after one Adam step. Two files: without
class conditioning (pixelcnn_step.safetensors) and with it (pixelcnn_step_cond.safetensors). Float64 math on float32
draws, as make_golden.py does.

    /work/main/.venv/bin/python tests/golden/make_pixelcnn.py

Masked convs are ordinary convs with the weight multiplied by the mask; the stored raw weights hold random values at
the masked taps, so a library that forgets a mask fails instead of passing by luck. Layouts follow vq4j: NHWC
activations, conv weights [co, kh, kw, ci]. Tensors: "param.<vq4j name>", "grad.<name>", "after.<name>" (after one
Adam step, lr in the metadata), "codes" [N, g, g], "labels" [N], "logits" [N, g, g, K], "nll" [N] (nats per example).
"""

import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden import DATA_DIR, F32, F64, make_mask, write_safetensors, _to_numpy  # noqa: E402

CFG = dict(num_codes=7, grid=5, hidden=4, layers=3, kernel=3, first_kernel=5, output_hidden=6, batch=2, lr=1e-3)


def uniform(shape, fan_in):
    return (torch.rand(*shape, dtype=F32) * 2 - 1).to(F64) / fan_in ** 0.5


def make_params(classes):
    """name -> (torch-layout tensor, kind) in vq4j's parameter order."""
    k_codes, p, oh = CFG["num_codes"], CFG["hidden"], CFG["output_hidden"]
    out = {"embedding.weight": (torch.randn(k_codes, p, dtype=F32).to(F64), "plain")}

    def conv(name, ci, co, ks):
        out[name + ".weight"] = (uniform((co, ci, ks, ks), ci * ks * ks), "conv")
        out[name + ".bias"] = (uniform((co,), ci * ks * ks), "plain")

    for i in range(CFG["layers"]):
        ks = CFG["first_kernel"] if i == 0 else CFG["kernel"]
        conv(f"layers.{i}.v", p, 2 * p, ks)
        conv(f"layers.{i}.h", p, 2 * p, ks)
        conv(f"layers.{i}.v2h", 2 * p, 2 * p, 1)
        conv(f"layers.{i}.res", p, p, 1)
        if classes:
            out[f"layers.{i}.cond.weight"] = (torch.randn(classes, 2 * p, dtype=F32).to(F64), "plain")
    conv("head.conv1", p, oh, 1)
    conv("head.conv2", oh, k_codes, 1)
    return {n: (t.requires_grad_(True), kind) for n, (t, kind) in out.items()}


def to_vq4j(t, kind):
    return t.permute(0, 2, 3, 1) if kind == "conv" else t


def gate(x, p):
    return torch.tanh(x[:, :p]) * torch.sigmoid(x[:, p:])


def forward(codes, labels, params):
    w = lambda n: params[n][0]  # noqa: E731
    p = CFG["hidden"]
    x = w("embedding.weight")[codes].permute(0, 3, 1, 2)  # NCHW
    xv, xh = x, x
    for i in range(CFG["layers"]):
        first = i == 0
        ks = CFG["first_kernel"] if first else CFG["kernel"]
        mv = make_mask("V_A" if first else "V_B", ks)
        mh = make_mask("H_A" if first else "H_B", ks)
        pre = f"layers.{i}"
        pv = F.conv2d(xv, w(pre + ".v.weight") * mv, w(pre + ".v.bias"), padding=ks // 2)
        cond = w(pre + ".cond.weight")[labels][:, :, None, None] if labels is not None else 0
        v = gate(pv + cond, p)
        ph = F.conv2d(xh, w(pre + ".h.weight") * mh, w(pre + ".h.bias"), padding=ks // 2)
        lk = F.conv2d(pv, w(pre + ".v2h.weight"), w(pre + ".v2h.bias"))
        g = gate(ph + lk + cond, p)
        r = F.conv2d(g, w(pre + ".res.weight"), w(pre + ".res.bias"))
        h = r if first else r + xh
        xv, xh = v, h
    z = F.relu(F.conv2d(F.relu(xh), w("head.conv1.weight"), w("head.conv1.bias")))
    return F.conv2d(z, w("head.conv2.weight"), w("head.conv2.bias"))  # [N, K, g, g]


def case(name, seed, classes):
    torch.manual_seed(seed)
    params = make_params(classes)
    n, g, k = CFG["batch"], CFG["grid"], CFG["num_codes"]
    codes = torch.randint(0, k, (n, g, g))
    labels = torch.randint(0, classes, (n,)) if classes else None
    logits = forward(codes, labels, params)
    nll = F.cross_entropy(logits, codes, reduction="none")  # [N, g, g]
    loss = nll.mean()
    loss.backward()
    out = {"codes": codes.to(torch.int32), "logits": logits.detach().permute(0, 2, 3, 1),
           "nll": nll.detach().sum((1, 2))}
    if labels is not None:
        out["labels"] = labels.to(torch.int32)
    for pn, (t, kind) in params.items():
        out["param." + pn] = to_vq4j(t.detach(), kind).clone()  # the Adam step below updates t in place
        out["grad." + pn] = to_vq4j(t.grad, kind).clone()
    opt = torch.optim.Adam([t for t, _ in params.values()], lr=CFG["lr"])
    opt.step()
    for pn, (t, kind) in params.items():
        out["after." + pn] = to_vq4j(t.detach(), kind).clone()
    meta = {key: str(v) for key, v in CFG.items()}
    meta.update(op="pixelcnn_step", num_classes=str(classes), loss=repr(loss.item()))
    write_safetensors(os.path.join(DATA_DIR, name + ".safetensors"), {key: _to_numpy(v) for key, v in out.items()},
                      meta)
    print(f"{name}: loss {loss.item():.6f} over {len(params)} parameters")


if __name__ == "__main__":
    torch.set_default_dtype(F64)
    case("pixelcnn_step", 21, classes=0)
    case("pixelcnn_step_cond", 22, classes=3)
