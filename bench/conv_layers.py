"""The conv layers the op benchmarks time, shared by bench/torch_ops.py and bench/gpu/jmh_rates.py: the same
table as OpsBench.Layer in bench/java/ai/vq4j/bench/OpsBench.java (keep the two in step)."""

BATCH = 32

# name: (kind, input h = w, ci, co, k, stride, pad)
LAYERS = {
    "enc_conv1": ("conv", 32, 1, 64, 4, 2, 1),
    "enc_conv2": ("conv", 16, 64, 128, 4, 2, 1),
    "enc_conv3": ("conv", 8, 128, 128, 3, 1, 1),
    "res_conv3x3": ("conv", 8, 128, 32, 3, 1, 1),
    "res_conv1x1": ("conv", 8, 32, 128, 1, 1, 0),
    "pre_vq_conv1x1": ("conv", 8, 128, 64, 1, 1, 0),
    "dec_convT1": ("convT", 8, 128, 64, 4, 2, 1),
    "dec_convT2": ("convT", 16, 64, 1, 4, 2, 1),
    "masked_b3x3": ("masked_b", 8, 64, 128, 3, 1, 1),
}


def out_hw(kind, hw, k, stride, pad):
    return (hw - 1) * stride - 2 * pad + k if kind == "convT" else (hw + 2 * pad - k) // stride + 1


def conv_flops(name):
    """2 * MACs of the dense conv (per direction); for convT, of the conv it is the adjoint of."""
    kind, hw, ci, co, k, stride, pad = LAYERS[name]
    spatial = hw * hw if kind == "convT" else out_hw(kind, hw, k, stride, pad) ** 2
    return 2 * BATCH * spatial * co * k * k * ci
