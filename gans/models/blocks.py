"""Networks shared by the model family: the DCGAN generator and discriminator, the MLPs of the plain GAN.

Sizes 32, 64 and 128: at 64x64 the DCGAN nets are exactly the layout of Radford et al. / the PyTorch
tutorial; each doubling of the size adds one stride-2 block (32 removes one).
"""

import torch
from torch import nn

from fractaldream.errors import UsageError

SIZES = (32, 64, 128)


def stride2_blocks(image_size: int) -> int:
    """How many stride-2 (up- or down-sampling) layers turn 4x4 into ``image_size``."""
    if image_size not in SIZES:
        raise UsageError(f"image size {image_size} not supported (choose 32, 64 or 128)")
    return {32: 3, 64: 4, 128: 5}[image_size]


def dcgan_init(module: nn.Module) -> None:
    """The DCGAN paper's initialisation: conv weights N(0, 0.02), BatchNorm scales N(1, 0.02)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def _upsampling(c_in: int, c_out: int, upsample: bool) -> nn.Module:
    if upsample:  # nearest-upsample + conv: no ConvTranspose checkerboard
        return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, 3, 1, 1, bias=False))
    return nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False)


class ConvGenerator(nn.Module):
    """DCGAN generator: z (B, input_dim) -> images (B, channels, S, S) in [-1, 1]."""

    def __init__(self, input_dim, image_size, channels=3, width=64, bn_eps=1e-5, upsample=False):
        super().__init__()
        n = stride2_blocks(image_size)
        widths = [width * 2 ** (n - 1 - i) for i in range(n)]  # 64x64: 512, 256, 128, 64
        layers = [nn.ConvTranspose2d(input_dim, widths[0], 4, 1, 0, bias=False),
                  nn.BatchNorm2d(widths[0], eps=bn_eps), nn.ReLU(True)]
        for c_in, c_out in zip(widths, widths[1:]):
            layers += [_upsampling(c_in, c_out, upsample), nn.BatchNorm2d(c_out, eps=bn_eps), nn.ReLU(True)]
        layers += [_upsampling(widths[-1], channels, upsample), nn.Tanh()]
        self.input_dim = input_dim
        self.main = nn.Sequential(*layers)
        dcgan_init(self)

    def forward(self, z):
        return self.main(z.reshape(z.size(0), -1, 1, 1))


def _norm(kind: str, channels: int, eps: float) -> list:
    if kind == "batch":
        return [nn.BatchNorm2d(channels, eps=eps)]
    if kind == "layer":  # a critic with a gradient penalty must not mix the samples of a batch
        return [nn.GroupNorm(1, channels, eps=eps)]
    return []


class ConvDiscriminator(nn.Module):
    """DCGAN discriminator: images -> ``out_dim`` outputs per image.

    ``features`` is the conv trunk (to a 4x4 map), ``head`` the final Conv(k4, s1, p0). ``forward``
    applies the final Sigmoid of the DCGAN layout; training uses ``logits`` with a logit-space BCE,
    which is the same loss, numerically stabler and safe under autocast.
    """

    def __init__(self, image_size, channels=3, width=64, leaky_slope=0.2, bn_eps=1e-5, norm="batch",
                 dropout=0.0, out_dim=1):
        super().__init__()
        n = stride2_blocks(image_size)
        widths = [width * 2 ** i for i in range(n)]  # 64x64: 64, 128, 256, 512
        drop = [nn.Dropout(dropout)] if dropout > 0 else []
        layers = [nn.Conv2d(channels, widths[0], 4, 2, 1, bias=False), nn.LeakyReLU(leaky_slope, inplace=True), *drop]
        for c_in, c_out in zip(widths, widths[1:]):
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False), *_norm(norm, c_out, bn_eps),
                       nn.LeakyReLU(leaky_slope, inplace=True), *drop]
        self.features = nn.Sequential(*layers)
        self.head = nn.Conv2d(widths[-1], out_dim, 4, 1, 0, bias=False)
        self.feature_dim = widths[-1]
        self.out_dim = out_dim
        dcgan_init(self)

    def logits(self, x):
        out = self.head(self.features(x)).flatten(1)
        return out.squeeze(1) if self.out_dim == 1 else out

    def forward(self, x):
        return torch.sigmoid(self.logits(x))


class ConditionedDiscriminator(nn.Module):
    """A discriminator that sees a condition vector as extra constant input channels."""

    def __init__(self, cond_dim, image_size, channels=3, **kwargs):
        super().__init__()
        self.net = ConvDiscriminator(image_size, channels + cond_dim, **kwargs)

    def logits(self, x, cond):
        maps = cond[:, :, None, None].expand(-1, -1, x.size(2), x.size(3)).to(x.dtype)
        return self.net.logits(torch.cat([x, maps], 1))

    def forward(self, x, cond):
        return torch.sigmoid(self.logits(x, cond))


class MLPGenerator(nn.Module):
    """The fully connected generator of Goodfellow et al. 2014: z -> images in [-1, 1]."""

    def __init__(self, input_dim, image_size, channels=3, hidden=(256, 512, 1024)):
        super().__init__()
        layers, width = [], input_dim
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU(True)]
            width = h
        layers += [nn.Linear(width, channels * image_size * image_size), nn.Tanh()]
        self.input_dim = input_dim
        self.shape = (channels, image_size, image_size)
        self.main = nn.Sequential(*layers)

    def forward(self, z):
        return self.main(z.flatten(1)).view(z.size(0), *self.shape)


class MLPDiscriminator(nn.Module):
    """A fully connected discriminator: ``in_dim`` inputs (flattened) -> ``out_dim`` logits."""

    def __init__(self, in_dim, hidden=(1024, 512, 256), leaky_slope=0.2, dropout=0.0, out_dim=1):
        super().__init__()
        layers, width = [], in_dim
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(leaky_slope, inplace=True)]
            layers += [nn.Dropout(dropout)] if dropout > 0 else []
            width = h
        layers += [nn.Linear(width, out_dim)]
        self.out_dim = out_dim
        self.main = nn.Sequential(*layers)

    def logits(self, x):
        out = self.main(x.flatten(1))
        return out.squeeze(1) if self.out_dim == 1 else out

    def forward(self, x):
        return torch.sigmoid(self.logits(x))


class ConditionedGenerator(nn.Module):
    """A generator of (z, cond): the condition is appended to the latent. Integer labels are one-hot encoded."""

    def __init__(self, net: nn.Module, cond_dim: int):
        super().__init__()
        self.net = net
        self.cond_dim = cond_dim
        self.input_dim = net.input_dim - cond_dim

    def forward(self, z, cond):
        if not cond.is_floating_point():
            cond = nn.functional.one_hot(cond, self.cond_dim)
        return self.net(torch.cat([z, cond.to(z.dtype)], 1))
