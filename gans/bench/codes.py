"""Codes of real images: where a trained model puts each real image in its latent space.

A model names the methods it offers (``GANModel.code_methods``):

- ``encoder``: its encoder, E(x);
- ``q_codes``: its Q head's continuous codes;
- ``inversion``: optimise z so that G(z) reconstructs x (MSE);
- ``posthoc_encoder``: an encoder trained after the fact on pairs (G(z), z);
- ``v``: v itself, by construction (the generator is fed v).

Images are uint8 tensors (N, C, S, S) as ``gans.data.loading.load_data`` returns them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from gans.data.pixels import signed_to_unit, unit
from gans.metrics.regressor import ParameterRegressor


@dataclass
class Codes:
    """Codes of real images (N, k), and what the method reports about how they were found."""

    values: np.ndarray
    #: Per image: ``reconstruction_mse`` (inversion: MSE(G(z), x) in the nets' [-1, 1] range).
    per_image: dict[str, np.ndarray] = field(default_factory=dict)
    #: ``encoder_steps`` (the post-hoc encoder: steps until its validation loss stopped improving).
    notes: dict[str, float] = field(default_factory=dict)


@torch.no_grad()
def _apply(run, net, images: torch.Tensor, batch_size=256) -> np.ndarray:
    return torch.cat([net(run.model_input(b)).float().cpu() for b in images.split(batch_size)]).numpy()


def invert(run, images: torch.Tensor, steps: int = 200, restarts: int = 3, lr: float = 0.05, batch_size: int = 256,
           seed: int = 0, progress: bool = False) -> Codes:
    """z minimising MSE(G(z), x) by Adam from ``restarts`` prior draws per image, the best one kept;
    z stays within 3 standard deviations. Reports each image's reconstruction MSE."""
    generator = torch.Generator().manual_seed(seed)
    codes, errors = [], []
    for batch in tqdm(images.split(batch_size), desc="inverting G", unit="batch", disable=not progress):
        x = run.model_input(batch).repeat(restarts, 1, 1, 1)
        z = run.sample_latent(len(x), generator=generator).to(run.device).requires_grad_(True)
        optimizer = torch.optim.Adam([z], lr=lr)
        for _ in range(steps):
            loss = nn.functional.mse_loss(run.generator(z), x)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                z.clamp_(-3, 3)
        with torch.no_grad():
            error = (run.generator(z) - x).pow(2).flatten(1).mean(1).view(restarts, len(batch))
        best = error.argmin(0)
        chosen = z.detach().view(restarts, len(batch), -1)[best, torch.arange(len(batch))]
        codes.append(chosen.cpu())
        errors.append(error.min(0).values.cpu())
    return Codes(torch.cat(codes).numpy(), {"reconstruction_mse": torch.cat(errors).double().numpy()})


def posthoc_encoder(run, max_steps: int = 5000, batch_size: int = 64, lr: float = 2e-3, seed: int = 0,
                    check_every: int = 100, patience: int = 5, validation: int = 1024,
                    progress: bool = False) -> tuple[nn.Module, int]:
    """An encoder trained after the fact on fresh pairs (G(z), z) to predict z (input RGB in [0, 1]), until its
    loss on ``validation`` held-out pairs has not improved for ``patience`` checks; returns it at its best, and
    the steps that took."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)

    def pairs(n):
        z = run.sample_latent(n, generator=generator).to(run.device)
        with torch.no_grad():
            return signed_to_unit(run.generate(z)), z

    held_x, held_z = pairs(validation)
    encoder = ParameterRegressor(outputs=run.latent_dim, width=16, features=128).to(run.device)
    optimizer = torch.optim.Adam(encoder.parameters(), lr=lr)
    best_loss, best_state, best_step, step = float("inf"), None, 0, 0
    bar = tqdm(total=max_steps, desc="post-hoc encoder", unit="step", disable=not progress)
    while step < max_steps and step - best_step < patience * check_every:
        encoder.train()
        for _ in range(check_every):
            x, z = pairs(batch_size)
            loss = nn.functional.mse_loss(encoder(x), z)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        step += check_every
        bar.update(check_every)
        encoder.eval()
        with torch.no_grad():
            held_loss = float(torch.cat([(encoder(xb) - zb).pow(2).mean(1) for xb, zb in
                                         zip(held_x.split(256), held_z.split(256))]).mean())
        if held_loss < best_loss:
            best_loss, best_state, best_step = held_loss, copy.deepcopy(encoder.state_dict()), step
    bar.close()
    encoder.load_state_dict(best_state)
    return encoder.eval(), best_step


def real_codes(run, method: str, images: torch.Tensor, v: np.ndarray, inversion_steps: int = 200,
               inversion_restarts: int = 3, encoder_max_steps: int = 5000, encoder_check_every: int = 100,
               encoder_validation: int = 1024, progress: bool = False) -> Codes:
    """The codes of real ``images`` (with parameters ``v``) by ``method`` (one of the model's ``code_methods``)."""
    if method == "encoder":
        return Codes(_apply(run, run.encoder, images))
    if method == "q_codes":
        return Codes(_apply(run, run.code_head, images))
    if method == "inversion":
        return invert(run, images, steps=inversion_steps, restarts=inversion_restarts, progress=progress)
    if method == "posthoc_encoder":
        encoder, steps = posthoc_encoder(run, max_steps=encoder_max_steps, check_every=encoder_check_every,
                                         validation=encoder_validation, progress=progress)
        with torch.no_grad():
            values = torch.cat([encoder(unit(b).to(run.device)).cpu() for b in images.split(256)]).numpy()
        return Codes(values, notes={"encoder_steps": steps})
    if method == "v":
        return Codes(np.asarray(v, dtype=np.float64))
    raise ValueError(f"unknown code method {method!r}")
