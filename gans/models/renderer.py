"""A neural renderer of FDD: G(v) is trained to draw FD(v), the attractor of v, from what an image determines.

G reads the normalised parameter vector v (its latent, as for ``lsd``) only through the identifiable
targets |a|, |b|, sign(a b), c, d (``fractaldream.identifiable``): x0, y0 and the sign of a given
sign(a b) leave the image unchanged, so G cannot depend on them. The targets go through Fourier
features at several scales, an MLP and a small upsampling conv decoder to two heads per pixel: an
occupancy logit (is the pixel brighter than ``OCCUPANCY_THRESHOLD``?) and the colour of an occupied
pixel. The image is colour x P(occupied), RGB in [-1, 1] like every generator's.

Loss: BCE of the occupancy logit against the real image's occupancy, plus L1 of the colour on the
occupied pixels, plus ``renderer_adversarial_weight`` times the non-saturating GAN term. Each sample
is first moved by a random element of the group the exact symmetries generate (``EXACT_SYMMETRIES``:
image and v transformed together, so the pair stays exact). The small conv D is always trained on
real vs rendered images: its scores show how far renders are from real ones; G only learns from it
when the adversarial weight is above 0.
"""

import torch
from torch import nn
from torch.nn import functional as F

from fractaldream.errors import UsageError
from fractaldream.identifiable import EXACT_SYMMETRIES, Symmetry
from fractaldream.settings import BuildSettings, factor_ranges
from gans.metrics.defaults import OCCUPANCY_THRESHOLD
from gans.models.base import GANModel, optimizer_step, uniform
from gans.models.blocks import stride2_blocks
from gans.models.dcgan import conv_discriminator
from gans.models.losses import bce, bce_ones, bce_zeros
from gans.training.color import from_rgb, to_rgb

#: Gaussian Fourier features of the 4 continuous targets (|a|, |b|, c, d scaled to [-1, 1]): per scale
#: (standard deviation of the frequencies, in radians per unit), this many frequencies.
FOURIER_SCALES = (1.0, 3.0, 9.0)
FOURIER_FEATURES = 96
#: Hidden width and depth of the MLP; channels of the decoder's 8x8 grid (halved at each doubling).
HIDDEN = 512
DEPTH = 3
DECODER_CHANNELS = 64
#: The discriminator is --width divided by this: it mostly monitors, so it stays cheap.
D_WIDTH_DIVISOR = 4


def default_ranges():
    """The default build's ranges of v, for data whose info does not record them."""
    settings = BuildSettings()
    return factor_ranges(settings.range_xy, settings.range_abcd)


def raw_v(v: torch.Tensor, ranges: torch.Tensor) -> torch.Tensor:
    """Normalised v in [-1, 1] -> raw v (``fractaldream.dataset.denormalize``, in torch)."""
    return ranges[:, 0] + (v + 1) * (ranges[:, 1] - ranges[:, 0]) / 2


def normalised_v(raw: torch.Tensor, ranges: torch.Tensor) -> torch.Tensor:
    return 2 * (raw - ranges[:, 0]) / (ranges[:, 1] - ranges[:, 0]) - 1


def identifiable_targets(raw: torch.Tensor) -> torch.Tensor:
    """``fractaldream.identifiable.identifiable_targets`` in torch: raw v (N, 6) -> |a|, |b|, sign(a b), c, d."""
    a, b, c, d = raw[:, 2:].unbind(1)
    return torch.stack([a.abs(), b.abs(), torch.where(a * b < 0, -1.0, 1.0), c, d], dim=1)


def transform_images(symmetry: Symmetry, images: torch.Tensor) -> torch.Tensor:
    """``Symmetry.transform_image`` in torch, on (B, C, H, W)."""
    flipped = [axis for axis, flip in ((-2, symmetry.flip_rows), (-1, symmetry.flip_columns)) if flip]
    images = images.flip(flipped) if flipped else images
    return images.transpose(-2, -1) if symmetry.transpose else images


def transform_v(symmetry: Symmetry, raw: torch.Tensor) -> torch.Tensor:
    """``Symmetry.transform_v`` in torch, on raw v (B, 6)."""
    return raw[:, list(symmetry.permutation)] * raw.new_tensor(symmetry.signs)


def symmetric_variants(images: torch.Tensor, raw: torch.Tensor, chosen: torch.Tensor):
    """Each pair (image, raw v) moved by the exact symmetries whose column of ``chosen`` (B, 3) is true, in order."""
    for symmetry, pick in zip(EXACT_SYMMETRIES, chosen.unbind(1)):
        images = torch.where(pick[:, None, None, None], transform_images(symmetry, images), images)
        raw = torch.where(pick[:, None], transform_v(symmetry, raw), raw)
    return images, raw


class TargetEncoder(nn.Module):
    """Identifiable targets (B, 5) -> features: the targets scaled to [-1, 1] and Fourier features of the
    continuous ones, each also multiplied by sign(a b) (the sign switches between unrelated attractors)."""

    def __init__(self, scale: torch.Tensor, seed: int):
        super().__init__()
        frequencies = torch.randn(4, FOURIER_FEATURES * len(FOURIER_SCALES),
                                  generator=torch.Generator().manual_seed(seed))
        frequencies *= torch.tensor(FOURIER_SCALES).repeat_interleave(FOURIER_FEATURES)
        self.register_buffer("frequencies", frequencies)
        self.register_buffer("scale", scale)
        self.out_features = 2 * (5 + 2 * frequencies.shape[1])

    def forward(self, targets):
        scaled = targets / self.scale
        continuous = torch.cat([scaled[:, :2] * 2 - 1, scaled[:, 3:]], dim=1)
        projected = continuous @ self.frequencies
        features = torch.cat([continuous, scaled[:, 2:3], projected.sin(), projected.cos()], dim=1)
        return torch.cat([features, features * scaled[:, 2:3]], dim=1)


class RendererNet(nn.Module):
    """Normalised v (B, 6) -> (occupancy logits (B, 1, S, S), colour of an occupied pixel (B, C, S, S) in [0, 1])."""

    def __init__(self, ranges, image_size: int, channels: int, seed: int):
        super().__init__()
        ranges = torch.as_tensor(ranges, dtype=torch.float32)
        self.register_buffer("ranges", ranges)
        largest = ranges.abs().amax(dim=1)[2:]  # |a|, |b| in [0, largest]; c, d in [-largest, largest]
        scale = torch.stack([largest[0], largest[1], torch.tensor(1.0), largest[2], largest[3]])
        self.encoder = TargetEncoder(scale, seed)
        layers, width = [], self.encoder.out_features
        for _ in range(DEPTH):
            layers += [nn.Linear(width, HIDDEN), nn.SiLU()]
            width = HIDDEN
        self.mlp = nn.Sequential(*layers)
        n = stride2_blocks(image_size)
        self.project = nn.Linear(HIDDEN, DECODER_CHANNELS * 4 * 4 * 4)  # 8x8 grid: one doubling less
        blocks, c = [], DECODER_CHANNELS
        for _ in range(n - 1):
            blocks += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c, c // 2, 3, 1, 1), nn.SiLU()]
            c //= 2
        self.decoder = nn.Sequential(*blocks, nn.Conv2d(c, 1 + channels, 3, 1, 1))

    def forward(self, v):
        features = self.mlp(self.encoder(identifiable_targets(raw_v(v.float(), self.ranges))))
        grid = self.project(features).view(len(v), DECODER_CHANNELS, 8, 8)
        out = self.decoder(grid)
        return out[:, :1], torch.sigmoid(out[:, 1:])


class RenderingGenerator(nn.Module):
    """v -> the rendered image, RGB (in the run's colour space) in [-1, 1]: colour x P(occupied)."""

    def __init__(self, net: RendererNet, color_space: str):
        super().__init__()
        self.net = net
        self.color_space = color_space

    def forward(self, v):
        return self.image(*self.net(v))

    def image(self, logits, colour):
        return from_rgb(colour * torch.sigmoid(logits) * 2 - 1, self.color_space)


class Renderer(GANModel):
    name = "renderer"
    code_methods = ("v",)
    conditioning = frozenset({"v"})
    defaults = dict(latent_dim=6, lr_g=1e-3, betas=(0.9, 0.999))

    @classmethod
    def check(cls, config, dataset):
        super().check(config, dataset)
        if config.latent_dim != len(dataset.factors):
            raise UsageError(f"model renderer needs a latent of {len(dataset.factors)}, the size of v "
                             f"(its latent is v itself)")

    def __init__(self, config, info):
        super().__init__(config, info)
        ranges = info.ranges or default_ranges()
        self.generator = RenderingGenerator(RendererNet(ranges, config.image_size, info.channels, config.seed),
                                            config.color_space)
        self.discriminator = conv_discriminator(config, info, width=max(1, config.width // D_WIDTH_DIVISOR))

    def sample_latent(self, n, generator=None, device=None):
        return uniform(n, self.latent_dim, generator, device)

    def augment(self, x, v):
        """Each (image, normalised v) moved by a random element of the exact symmetries' group."""
        ranges = self.generator.net.ranges
        chosen = torch.rand(len(v), len(EXACT_SYMMETRIES), device=v.device) < 0.5
        images, raw = symmetric_variants(x, raw_v(v.float(), ranges), chosen)
        return images, normalised_v(raw, ranges)

    def reconstruction_losses(self, logits, colour, x) -> dict[str, torch.Tensor]:
        """BCE on occupancy and L1 on the colour of the occupied pixels, of G's two heads against the real image x."""
        rgb = to_rgb(x.float(), self.config.color_space).add(1).div(2)
        occupied = (rgb.amax(dim=1, keepdim=True) > OCCUPANCY_THRESHOLD).float()
        colour_error = ((colour.float() - rgb).abs().mean(dim=1, keepdim=True) * occupied).sum()
        return {"loss_occupancy": F.binary_cross_entropy_with_logits(logits.float(), occupied),
                "loss_colour": colour_error / occupied.sum().clamp(min=1)}

    def train_step(self, x, target, tricks, optimizers, step):
        x, v = self.augment(x, target)
        logits, colour = self.generator.net(v)
        fake = self.generator.image(logits, colour)
        real_logits = self.discriminator.logits(tricks.d_input(x, real=True))
        fake_logits = self.discriminator.logits(tricks.d_input(fake.detach(), real=False))
        loss_d = bce(real_logits, tricks.real_targets(real_logits)) + bce_zeros(fake_logits)
        update_d, update_g = tricks.updates(real_logits, fake_logits)
        if update_d:
            optimizer_step([optimizers["d"]], loss_d)
        losses = self.reconstruction_losses(logits, colour, x)
        loss_g = losses["loss_occupancy"] + losses["loss_colour"]
        weight = self.config.renderer_adversarial_weight
        if weight > 0:
            loss_g = loss_g + weight * bce_ones(self.discriminator.logits(tricks.d_input(fake, real=False)))
        if update_g:
            optimizer_step([optimizers["g"]], loss_g)
        return {**{k: value.detach() for k, value in losses.items()}, "loss_g": loss_g.detach(),
                "loss_d": loss_d.detach(), "d_real": real_logits.detach(), "d_fake": fake_logits.detach()}
