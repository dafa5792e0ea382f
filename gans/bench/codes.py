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

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from gans.data.pixels import signed_to_unit, unit
from gans.metrics.regressor import ParameterRegressor


@torch.no_grad()
def _apply(run, net, images: torch.Tensor, batch_size=256) -> np.ndarray:
    return torch.cat([net(run.model_input(b)).float().cpu() for b in images.split(batch_size)]).numpy()


def invert(run, images: torch.Tensor, steps: int = 200, lr: float = 0.05, batch_size: int = 256, seed: int = 0,
           progress: bool = False) -> np.ndarray:
    """z minimising MSE(G(z), x) by Adam from a prior draw; z kept within 3 standard deviations."""
    generator = torch.Generator().manual_seed(seed)
    codes = []
    for batch in tqdm(images.split(batch_size), desc="inverting G", unit="batch", disable=not progress):
        x = run.model_input(batch)
        z = run.sample_latent(len(x), generator=generator).to(run.device).requires_grad_(True)
        optimizer = torch.optim.Adam([z], lr=lr)
        for _ in range(steps):
            loss = nn.functional.mse_loss(run.generator(z), x)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                z.clamp_(-3, 3)
        codes.append(z.detach().cpu())
    return torch.cat(codes).numpy()


def posthoc_encoder(run, steps: int = 500, batch_size: int = 64, lr: float = 2e-3, seed: int = 0,
                    progress: bool = False) -> nn.Module:
    """An encoder trained after the fact on fresh pairs (G(z), z) to predict z; input RGB images in [0, 1]."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    encoder = ParameterRegressor(outputs=run.latent_dim, width=16, features=128).to(run.device)
    optimizer = torch.optim.Adam(encoder.parameters(), lr=lr)
    encoder.train()
    for _ in tqdm(range(steps), desc="post-hoc encoder", unit="step", disable=not progress):
        z = run.sample_latent(batch_size, generator=generator).to(run.device)
        with torch.no_grad():
            x = signed_to_unit(run.generate(z))
        loss = nn.functional.mse_loss(encoder(x), z)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return encoder.eval()


def real_codes(run, method: str, images: torch.Tensor, v: np.ndarray, inversion_steps: int = 200,
               encoder_steps: int = 500, progress: bool = False) -> np.ndarray:
    """The codes (N, k) of real ``images`` (with parameters ``v``) by ``method`` (one of the model's ``code_methods``)."""
    if method == "encoder":
        return _apply(run, run.encoder, images)
    if method == "q_codes":
        return _apply(run, run.code_head, images)
    if method == "inversion":
        return invert(run, images, steps=inversion_steps, progress=progress)
    if method == "posthoc_encoder":
        encoder = posthoc_encoder(run, steps=encoder_steps, progress=progress)
        with torch.no_grad():
            return torch.cat([encoder(unit(b).to(run.device)).cpu() for b in images.split(256)]).numpy()
    if method == "v":
        return np.asarray(v, dtype=np.float64)
    raise ValueError(f"unknown code method {method!r}")

