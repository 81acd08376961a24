#!/usr/bin/env python3
"""Golden values for the Transformer prior's ops (tests/ai/vq4j/tensor/{LayerNorm,Gelu,Linear,CausalAttention,
Dropout}OpTest.java, AdamOpTest's "adamw" case).

Float64 math on float32 draws, rounded to float32 on writing, as make_golden.py does. GELU is the tanh
approximation (F.gelu(x, approximate="tanh")). Attention is F.scaled_dot_product_attention with a causal mask,
heads side by side in the channels (head h = columns [h dh, (h + 1) dh)); the cached case takes the last tq
queries against the first tk of kv_rows keys. Dropout's mask is vq4j's own counter hash (kernels/dropout/dropout.h,
SplitMix64's finaliser), written out here in Python integers, so the file pins the mask both backends must draw.

    /work/.venv-torch/bin/python tests/golden/make_transformer.py
"""

import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden import DATA_DIR, F32, F64, _to_numpy, fstr, leaf, randn, write_safetensors  # noqa: E402

MASK64 = (1 << 64) - 1


def emit(name, tensors, metadata):
    path = os.path.join(DATA_DIR, name + ".safetensors")
    write_safetensors(path, {k: _to_numpy(v) for k, v in tensors.items()}, metadata)
    print(f"{name + '.safetensors':40s} {os.path.getsize(path):6d} B  {', '.join(tensors.keys())}")


def layer_norm_case(rows=(2, 5), c=12, eps=1e-5):
    torch.manual_seed(1600)
    x = leaf(randn(*rows, c) * 2 + 0.5)
    gamma = leaf(randn(c))
    beta = leaf(randn(c))
    y = F.layer_norm(x, (c,), gamma, beta, eps)
    dy = randn(*rows, c)
    y.backward(dy)
    xd = x.detach()
    mean = xd.mean(-1)
    rstd = 1.0 / torch.sqrt(xd.var(-1, unbiased=False) + eps)
    emit("layer_norm", {"x": xd, "gamma": gamma.detach(), "beta": beta.detach(), "y": y, "mean": mean,
                        "rstd": rstd, "dy": dy, "dx": x.grad, "dgamma": gamma.grad, "dbeta": beta.grad},
         dict(op="layer_norm", eps=fstr(eps)))


def gelu_case(n=64):
    torch.manual_seed(1601)
    x = leaf(torch.cat([randn(n - 6) * 3, torch.tensor([0.0, -8.0, 8.0, -20.0, 20.0, 1e-3], dtype=F64)]))
    y = F.gelu(x, approximate="tanh")
    dy = randn(n)
    y.backward(dy)
    emit("gelu", {"x": x.detach(), "y": y, "dy": dy, "dx": x.grad}, dict(op="gelu", approximate="tanh"))


def linear_case(lead=(2, 3), fin=7, fout=5):
    torch.manual_seed(1602)
    x = leaf(randn(*lead, fin))
    w = leaf(randn(fout, fin))
    b = leaf(randn(fout))
    y = F.linear(x, w, b)
    dy = randn(*lead, fout)
    y.backward(dy)
    emit("linear", {"x": x.detach(), "w": w.detach(), "b": b.detach(), "y": y, "dy": dy, "dx": x.grad,
                    "dw": w.grad, "db": b.grad}, dict(op="linear"))


def attention(q, k, v, heads, tq, tk):
    """q[B, tq, C] against k, v[B, tk, C]; query i at position tk - tq + i. Returns y and lse[B, H, tq]."""
    b, _, c = q.shape
    dh = c // heads
    qh = q.reshape(b, tq, heads, dh).transpose(1, 2)
    kh = k.reshape(b, tk, heads, dh).transpose(1, 2)
    vh = v.reshape(b, tk, heads, dh).transpose(1, 2)
    s = qh @ kh.transpose(-1, -2) / math.sqrt(dh)
    pos = torch.arange(tq).unsqueeze(1) + (tk - tq)
    s = s.masked_fill(torch.arange(tk).unsqueeze(0) > pos, float("-inf"))
    lse = torch.logsumexp(s, -1)
    y = torch.softmax(s, -1) @ vh
    return y.transpose(1, 2).reshape(b, tq, c), lse


def causal_attention_case(batch=2, t=7, heads=2, dh=5):
    torch.manual_seed(1603)
    c = heads * dh
    q, k, v = (leaf(randn(batch, t, c)) for _ in range(3))
    y, lse = attention(q, k, v, heads, t, t)
    # The library's convention matches PyTorch's own fused kernel.
    ref = F.scaled_dot_product_attention(q.reshape(batch, t, heads, dh).transpose(1, 2),
                                         k.reshape(batch, t, heads, dh).transpose(1, 2),
                                         v.reshape(batch, t, heads, dh).transpose(1, 2), is_causal=True)
    assert torch.allclose(ref.transpose(1, 2).reshape(batch, t, c), y, atol=1e-12)
    dy = randn(batch, t, c)
    y.backward(dy)
    emit("causal_attention", {"q": q.detach(), "k": k.detach(), "v": v.detach(), "y": y, "lse": lse, "dy": dy,
                              "dq": q.grad, "dk": k.grad, "dv": v.grad}, dict(op="causal_attention", heads=heads))


def causal_attention_cached_case(batch=2, tq=2, tk=5, kv_rows=7, heads=3, dh=4):
    torch.manual_seed(1604)
    c = heads * dh
    q = randn(batch, tq, c)
    k = randn(batch, kv_rows, c)
    v = randn(batch, kv_rows, c)
    y, lse = attention(q, k[:, :tk], v[:, :tk], heads, tq, tk)
    emit("causal_attention_cached", {"q": q, "k": k, "v": v, "y": y, "lse": lse},
         dict(op="causal_attention", heads=heads, tk=tk))


def adamw_case(count=17, lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.1):
    # As make_golden.py's adam_case: two steps, round the state to float32, then the third step is the golden.
    torch.manual_seed(1605)
    p = torch.nn.Parameter(randn(count))
    opt = torch.optim.AdamW([p], lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay)
    for _ in range(2):
        p.grad = randn(count)
        opt.step()
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
    emit("adamw", {"param_in": param_in, "m_in": m_in, "v_in": v_in, "grad": grad, "param_out": p.detach(),
                   "m_out": st["exp_avg"], "v_out": st["exp_avg_sq"]},
         dict(op="adam", decoupled=1, count=count, lr=fstr(lr), beta1=fstr(beta1), beta2=fstr(beta2),
              eps=fstr(eps), weight_decay=fstr(weight_decay), t=3))


def counter_hash(key, i):
    z = (key + (i + 1) * 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def dropout_case(n=1000, p=0.3, key=0x5EED0F00D):
    torch.manual_seed(1606)
    x = randn(n).to(F32)
    # u = top 24 bits / 2^24 is exact in float32; the kernels compare it with p rounded to float32.
    p32 = torch.tensor(p, dtype=F32).item()
    keep = torch.tensor([(counter_hash(key, i) >> 40) / 16777216.0 >= p32 for i in range(n)])
    scale = torch.tensor(1.0, dtype=F32) / (1 - torch.tensor(p, dtype=F32))
    y = torch.where(keep, x * scale, torch.zeros((), dtype=F32))
    emit("dropout", {"x": x, "y": y, "keep": keep.to(torch.int32)}, dict(op="dropout", p=fstr(p), key=str(key)))


def transformer_case(name, seed, cond, n=3, grid=3, k=11, width=16, depth=2, heads=2, mlp_ratio=4, classes=4):
    """A small TransformerPrior (java/ai/vq4j/model/TransformerPrior.java) in plain PyTorch ops: its parameters
    under vq4j's names, a batch of codes (and labels), the logits, the mean cross-entropy and every gradient."""
    torch.manual_seed(seed)
    t = grid * grid
    vocab = k + max(1, classes if cond else 0)
    params = {"tokens.weight": randn(vocab, width) * 0.5, "positions.weight": randn(t, width) * 0.5}
    for i in range(depth):
        b = f"blocks.{i}."
        for ln in ("ln1", "ln2"):
            params[b + ln + ".weight"] = 1 + 0.1 * randn(width)
            params[b + ln + ".bias"] = 0.1 * randn(width)
        for lin, fin, fout in (("attn.q", width, width), ("attn.k", width, width), ("attn.v", width, width),
                               ("attn.proj", width, width), ("mlp.fc", width, mlp_ratio * width),
                               ("mlp.proj", mlp_ratio * width, width)):
            params[b + lin + ".weight"] = randn(fout, fin) / math.sqrt(fin)
            params[b + lin + ".bias"] = 0.1 * randn(fout)
    params["ln_f.weight"] = 1 + 0.1 * randn(width)
    params["ln_f.bias"] = 0.1 * randn(width)
    params["head.weight"] = randn(k, width) / math.sqrt(width)
    params["head.bias"] = 0.1 * randn(k)
    leaves = {key: leaf(v) for key, v in params.items()}
    codes = torch.randint(0, k, (n, grid, grid))
    labels = torch.randint(0, classes, (n,)) if cond else None
    first = (k + labels) if cond else torch.full((n,), k)
    ids = torch.cat([first.unsqueeze(1), codes.reshape(n, t)[:, :-1]], 1)
    x = leaves["tokens.weight"][ids] + leaves["positions.weight"][torch.arange(t)].unsqueeze(0)
    for i in range(depth):
        b = f"blocks.{i}."
        lin = lambda h, nm: F.linear(h, leaves[b + nm + ".weight"], leaves[b + nm + ".bias"])  # noqa: E731
        h = F.layer_norm(x, (width,), leaves[b + "ln1.weight"], leaves[b + "ln1.bias"], 1e-5)
        att, _ = attention(lin(h, "attn.q"), lin(h, "attn.k"), lin(h, "attn.v"), heads, t, t)
        x = x + lin(att, "attn.proj")
        h = F.layer_norm(x, (width,), leaves[b + "ln2.weight"], leaves[b + "ln2.bias"], 1e-5)
        x = x + lin(F.gelu(lin(h, "mlp.fc"), approximate="tanh"), "mlp.proj")
    h = F.layer_norm(x, (width,), leaves["ln_f.weight"], leaves["ln_f.bias"], 1e-5)
    logits = F.linear(h, leaves["head.weight"], leaves["head.bias"])
    loss = F.cross_entropy(logits.reshape(-1, k), codes.reshape(-1))
    loss.backward()
    out = {"codes": codes, "logits": logits, "loss": loss.reshape(1)}
    if cond:
        out["labels"] = labels
    for key, v in params.items():
        out["param." + key] = v
        out["grad." + key] = leaves[key].grad
    emit(name, out, dict(op="transformer_prior", num_codes=k, grid=grid, width=width, depth=depth, heads=heads,
                         mlp_ratio=mlp_ratio, num_classes=classes if cond else 0))


def main():
    torch.set_num_threads(1)
    os.makedirs(DATA_DIR, exist_ok=True)
    layer_norm_case()
    gelu_case()
    linear_case()
    causal_attention_case()
    causal_attention_cached_case()
    adamw_case()
    dropout_case()
    transformer_case("transformer_prior", 1607, cond=False)
    transformer_case("transformer_prior_cond", 1608, cond=True)


if __name__ == "__main__":
    main()
