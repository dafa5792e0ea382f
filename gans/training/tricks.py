"""The GAN-training tricks of the original study, each switched on by a ``TrainConfig`` setting.

- one-sided label smoothing: D's real targets drawn from U(lo, hi) (``label_smoothing``);
- instance noise: Gaussian noise of std ``instance_noise`` (times ``instance_noise_decay`` per epoch)
  on D's inputs, real only or real and fake (``instance_noise_on``);
- "unequal training" (``unequal_band`` = (lo, hi)): with D's score s = (mean D(real) + 1 - mean D(fake)) / 2,
  D skips its update while s > hi (it is winning), G skips its update while s < lo (D is losing).
  This is the one trick that reads a value back from the device every step;
- random affine augmentation of the real batches (``affine_degrees``, ``affine_translate``,
  ``affine_scale``), drawn from the global RNG on the device, so a resumed run draws what an
  uninterrupted one would;
- D reset every K epochs and dropout in D live in the training loop and the nets; the HSV colour
  space in ``gans.training.color``.
"""

import math

import torch
import torch.nn.functional as F


class Tricks:
    def __init__(self, config):
        self.smoothing = config.label_smoothing
        self.noise_base = config.instance_noise
        self.noise_decay = config.instance_noise_decay
        self.noise_on_fake = config.instance_noise_on == "both"
        self.band = config.unequal_band
        self.noise_std = self.noise_base
        self.affine = (config.affine_degrees, config.affine_translate, config.affine_scale)
        self.augmenting = bool(config.affine_degrees or config.affine_translate or config.affine_scale)

    def augment(self, x):
        """A real batch (RGB in [-1, 1]) as D and E see it: randomly moved when augmentation is on."""
        return random_affine(x, *self.affine) if self.augmenting else x

    def set_epoch(self, epoch: int) -> None:
        self.noise_std = self.noise_base * self.noise_decay ** epoch

    def real_targets(self, logits):
        if self.smoothing is None:
            return torch.ones_like(logits)
        return torch.empty_like(logits).uniform_(*self.smoothing)

    def d_input(self, x, real: bool):
        """D's view of a batch: with instance noise where it applies."""
        if self.noise_std > 0 and (real or self.noise_on_fake):
            return x + self.noise_std * torch.randn_like(x)
        return x

    def updates(self, real_logits, fake_logits) -> tuple[bool, bool]:
        """(update D, update G) this step."""
        if self.band is None:
            return True, True
        score = 0.5 * (torch.sigmoid(real_logits).mean() + 1 - torch.sigmoid(fake_logits).mean()).item()
        return score <= self.band[1], score >= self.band[0]


def random_affine(x, degrees: float, translate: float, scale: tuple[float, float] | None):
    """Each image of ``x`` (B, C, H, W) in [-1, 1] turned by up to +-``degrees``, zoomed by a factor in
    ``scale`` and shifted by up to +-``translate`` of its size; where it uncovers the frame, black (-1)."""
    u = torch.rand(x.size(0), 4, device=x.device) * 2 - 1
    angle = u[:, 0] * math.radians(degrees)
    low, high = scale or (1.0, 1.0)
    zoom = low + (high - low) * (u[:, 1] + 1) / 2
    shift = u[:, 2:, None] * 2 * translate  # grid coordinates span 2 across the image
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    # affine_grid maps output to input positions: the inverse of p -> zoom * R p + shift, i.e. R^T / zoom (p - shift).
    inverse = torch.stack([torch.stack([cos, sin], 1), torch.stack([-sin, cos], 1)], 1)
    grid = F.affine_grid(torch.cat([inverse, -inverse @ shift], 2), list(x.shape), align_corners=False)
    return F.grid_sample(x + 1, grid, align_corners=False) - 1  # zero padding is -1 after the shift back

