"""vq4j's VQ-VAE as a plain PyTorch module, loading what `vq4j export --format pytorch` writes.

    import safetensors.torch, vqvae
    model = vqvae.VqVae.from_export("model.safetensors")    # shape from the file's model_config metadata
    recon, codes = model(images)                            # images [N, C, H, W] in [-0.5, 0.5]

`from_export` is `VqVae(config)` then `load_state_dict(safetensors.torch.load_file(path))`; a state dict of
this module saved with `save_file(model.state_dict(), path, metadata={"model_config": json.dumps(config)})`
goes the other way with `vq4j import --format pytorch`. The architecture is java/ai/vq4j/model/VqVae.java's
(config fields as in VqVaeConfig.java): stem = True is Sonnet's example, stem = False the paper's CIFAR net.
"""
import json

import safetensors
import safetensors.torch
import torch
import torch.nn.functional as F
from torch import nn


class ResidualBlock(nn.Module):
    """x + conv1x1(relu(conv3x3(relu(x)))), the 3x3 conv narrowing to `hidden` channels."""

    def __init__(self, channels, hidden):
        super().__init__()
        self.conv3 = nn.Conv2d(channels, hidden, 3, padding=1)
        self.conv1 = nn.Conv2d(hidden, channels, 1)

    def forward(self, x):
        return x + self.conv1(F.relu(self.conv3(F.relu(x))))


class ResidualStack(nn.ModuleList):
    """Residual blocks, then a ReLU when final_relu (Sonnet has one, the paper does not)."""

    def __init__(self, channels, hidden, count, final_relu):
        super().__init__([ResidualBlock(channels, hidden) for _ in range(count)])
        self.final_relu = final_relu

    def forward(self, x):
        for block in self:
            x = block(x)
        return F.relu(x) if self.final_relu else x


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, stem = c["hidden"], c["stem"]
        self.stem = stem
        self.conv1 = nn.Conv2d(c["imageChannels"], h // 2 if stem else h, 4, stride=2, padding=1)
        self.conv2 = nn.Conv2d(h // 2 if stem else h, h, 4, stride=2, padding=1)
        # Stride-2 stages past the first two (config downsample 8 or 16; older configs have none).
        extra = c.get("downsample", 4).bit_length() - 3
        self.down = nn.ModuleList(nn.Conv2d(h, h, 4, stride=2, padding=1) for _ in range(extra))
        if stem:
            self.conv3 = nn.Conv2d(h, h, 3, padding=1)
        self.res = ResidualStack(h, c["residualHidden"], c["residualBlocks"], final_relu=stem)
        if stem:
            self.pre_vq = nn.Conv2d(h, c["embeddingDim"], 1)

    def forward(self, x):
        x = self.conv2(F.relu(self.conv1(x)))
        for down in self.down:
            x = down(F.relu(x))
        if self.stem:
            return self.pre_vq(self.res(self.conv3(F.relu(x))))
        return self.res(x)


class Decoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, stem = c["hidden"], c["stem"]
        self.stem = stem
        if stem:
            self.conv1 = nn.Conv2d(c["embeddingDim"], h, 3, padding=1)
        self.res = ResidualStack(h, c["residualHidden"], c["residualBlocks"], final_relu=stem)
        extra = c.get("downsample", 4).bit_length() - 3
        self.up = nn.ModuleList(nn.ConvTranspose2d(h, h, 4, stride=2, padding=1) for _ in range(extra))
        self.convt1 = nn.ConvTranspose2d(h, h // 2 if stem else h, 4, stride=2, padding=1)
        self.convt2 = nn.ConvTranspose2d(h // 2 if stem else h, c["imageChannels"], 4, stride=2, padding=1)

    def forward(self, z):
        if self.stem:
            z = self.conv1(z)
        z = self.res(z)
        for up in self.up:
            z = F.relu(up(z))
        return self.convt2(F.relu(self.convt1(z)))


class Quantizer(nn.Module):
    """Nearest codebook row by L2 distance (ties to the lowest index). The buffers are vq4j's training state
    (code usage EMA; the EMA codebook's counts and sums), kept so that an export comes back whole."""

    def __init__(self, c):
        super().__init__()
        k, d = c["numEmbeddings"], c["embeddingDim"]
        self.codebook = nn.Parameter(torch.empty(k, d).uniform_(-1 / k, 1 / k))
        self.register_buffer("usage", torch.ones(k))
        if c["ema"]:
            self.register_buffer("ema_count", torch.ones(k))
            self.register_buffer("ema_sum", self.codebook.detach().clone())

    def codes(self, z_e):
        """z_e [N, D, H, W] -> codes [N, H, W]."""
        flat = z_e.permute(0, 2, 3, 1).reshape(-1, z_e.shape[1])
        dist = (flat * flat).sum(1, keepdim=True) - 2 * flat @ self.codebook.t() + (self.codebook ** 2).sum(1)
        n, _, h, w = z_e.shape
        return dist.argmin(1).reshape(n, h, w)

    def lookup(self, codes):
        """codes [N, H, W] -> z_q [N, D, H, W]."""
        return self.codebook[codes].permute(0, 3, 1, 2)


class VqVae(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = dict(config)
        self.encoder = Encoder(config)
        self.quantizer = Quantizer(config)
        self.decoder = Decoder(config)

    def forward(self, x):
        """Images [N, C, H, W] in [-0.5, 0.5] -> (reconstruction [N, C, H, W], codes [N, H/4, W/4])."""
        codes = self.quantizer.codes(self.encoder(x))
        return self.decoder(self.quantizer.lookup(codes)), codes

    def decode_codes(self, codes):
        return self.decoder(self.quantizer.lookup(codes))

    @staticmethod
    def config_of(path):
        """The vq4j model config stored in an export's metadata."""
        with safetensors.safe_open(path, framework="pt") as f:
            return json.loads(f.metadata()["model_config"])

    @classmethod
    def from_export(cls, path):
        model = cls(cls.config_of(path))
        model.load_state_dict(safetensors.torch.load_file(path))
        return model.eval()
