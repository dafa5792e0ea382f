"""A trained run, loaded for sampling and evaluation: ``load_run(run_dir, device="cpu")``.

    run = load_run("runs/a")
    z = run.sample_latent(16, generator=torch.Generator().manual_seed(0))
    images = run.generate(z)                       # (16, C, S, S) RGB in [-1, 1]

``LoadedRun`` fields (all nets in eval mode, on ``device``):

- ``config`` (``gans.training.config.TrainConfig``), ``info`` (``gans.data.loading.DataInfo``), ``step``, ``finished``;
- ``generate(z, cond=None)``: images to look at and to score, RGB in [-1, 1], whatever the run's colour space;
- ``generator``: z (B, latent_dim) -> images in [-1, 1] in the run's ``config.color_space`` (see ``gans.training.color``;
  ``model_input`` puts real images there). For ``cdcgan`` it is ``generator(z, cond)``
  with ``cond`` the normalised FDD vector v (B, 6) in [-1, 1] (order x0, y0, a, b, c, d, as
  ``FractalDreamDataset`` returns it) or a class label (B,) / one-hot (B, K); ``sample_condition(n)``
  draws one. For ``lsd`` the latent *is* v: ``generator(v)`` with v (B, 6) normalised as above, and
  ``sample_latent`` draws v ~ U(-1, 1). For ``infogan`` z = [codes | one-hot categorical | noise].
- ``latent_dim``: the width of the generator's z (infogan: codes + categorical + noise).
- ``sample_latent(n, generator=None)``: n draws from the run's prior, on ``device``.
- ``discriminator``: images (in the run's colour space) -> probability "real" (``.logits`` for the raw
  scores; the critic value for wgan-gp). For ``cdcgan`` it takes (images, cond); for the Makhzani AAE
  it judges latent codes, not images.
- ``encoder`` (AAE only, else None): images (in the run's colour space) -> z (B, latent_dim).
- ``code_head`` (InfoGAN only, else None): images -> its continuous codes (B, codes).
- ``sample_images(n, seed)``: n samples of the prior (and conditions) in [0, 1], quantised like saved PNGs.
- ``takes_v``: the model is fed FDD's parameter vector v (cdcgan, lsd); ``generate_for_v(v)``: images in
  [0, 1] of raw vectors v (N, 6: x0, y0, a, b, c, d) for any model with a place for v in its latent
  (``GANModel.latent_for_v``; for the others it raises ``UsageError``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from fractaldream.errors import UsageError
from gans.data.loading import DataInfo
from gans.data.pixels import signed, signed_to_unit
from gans.models import build_model
from gans.models.base import GANModel
from gans.training.checkpoint import CHECKPOINT, load_checkpoint, load_weights
from gans.training.color import from_rgb, to_rgb
from gans.training.config import TrainConfig
from gans.training.device import pick_device

#: Images generated per forward pass when a run makes many.
BATCH = 256


@dataclass
class LoadedRun:
    run_dir: Path
    config: TrainConfig
    info: DataInfo
    model: GANModel
    step: int
    finished: bool
    device: torch.device

    @property
    def generator(self) -> nn.Module:
        return self.model.generator

    @property
    def discriminator(self) -> nn.Module:
        return self.model.discriminator

    @property
    def encoder(self) -> nn.Module | None:
        return getattr(self.model, "encoder", None)

    @property
    def code_head(self) -> Callable | None:
        return getattr(self.model, "predict_codes", None)

    @property
    def latent_dim(self) -> int:
        return self.model.latent_dim

    @property
    def conditional(self) -> bool:
        return self.model.conditional

    def sample_latent(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.model.sample_latent(n, generator=generator, device=self.device)

    def sample_condition(self, n: int, generator: torch.Generator | None = None):
        """cdcgan: n conditions (see the module docstring); None for the other models."""
        return self.model.sample_condition(n, generator=generator, device=self.device)

    @torch.no_grad()
    def generate(self, z: torch.Tensor, cond=None) -> torch.Tensor:
        images = self.model.generate(z.to(self.device), None if cond is None else cond.to(self.device))
        return to_rgb(images, self.config.color_space)

    def model_input(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 RGB images (N, C, S, S), as ``load_data`` gives them -> the nets' input, on ``device``."""
        return from_rgb(signed(images.to(self.device)), self.config.color_space)

    @torch.no_grad()
    def sample_images(self, n: int, seed: int) -> torch.Tensor:
        """n samples of the prior (and conditions) in [0, 1] on the CPU, quantised like saved PNGs."""
        generator = torch.Generator().manual_seed(seed)
        out = []
        for start in range(0, n, BATCH):
            m = min(BATCH, n - start)
            z = self.sample_latent(m, generator=generator)
            out.append(signed_to_unit(self.generate(z, self.sample_condition(m, generator=generator))).cpu())
        return torch.cat(out)

    @property
    def takes_v(self) -> bool:
        return "v" in self.model.conditioning and bool(self.info.factors)

    @property
    def has_place_for_v(self) -> bool:
        """Its latent has a place for FDD's parameter vector v (``GANModel.latent_for_v``)."""
        return bool(self.info.ranges) and self.model.latent_for_v(torch.zeros(1, len(self.info.ranges))) is not None

    @torch.no_grad()
    def generate_for_v(self, v: np.ndarray, seed: int = 0) -> torch.Tensor:
        """Images in [0, 1] (N, C, S, S) on the CPU of the raw parameter vectors ``v`` (N, 6)."""
        if not self.info.ranges:
            raise UsageError(f"{self.run_dir}: trained on {self.info.name}, which has no parameter vectors v")
        u = torch.as_tensor(self.info.normalize(np.asarray(v, np.float64)), dtype=torch.float32)
        latent = self.model.latent_for_v(u.to(self.device), torch.Generator().manual_seed(seed))
        if latent is None:
            raise UsageError(f"{self.run_dir}: model {self.config.model} has no place for a parameter vector v "
                             f"in its latent (latent of {self.latent_dim})")
        z, cond = latent
        zs = z.split(BATCH)
        conds = cond.split(BATCH) if cond is not None else [None] * len(zs)
        return torch.cat([signed_to_unit(self.generate(zb, cb)).cpu() for zb, cb in zip(zs, conds)])


def load_run(run_dir, device="cpu") -> LoadedRun:
    run_dir = Path(run_dir)
    saved = load_checkpoint(run_dir)
    config = TrainConfig.from_dict(saved["config"])
    info = DataInfo.from_dict(saved["data_info"])
    device = pick_device(str(device))
    model = build_model(config, info)
    load_weights(model, saved, run_dir / CHECKPOINT)
    model.to(device).eval()
    model.requires_grad_(False)
    return LoadedRun(run_dir, config, info, model, saved["step"], saved["finished"], device)
