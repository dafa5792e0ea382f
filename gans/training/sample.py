"""Paths through a latent space, for ``gans interpolate``: linear or spherical (SLERP), between anchors."""

from __future__ import annotations

import torch

from fractaldream.errors import UsageError


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation, row by row; falls back to linear where a and b are (anti)parallel."""
    cos = torch.nn.functional.cosine_similarity(a, b, dim=1).clamp(-1, 1)
    omega = torch.acos(cos)[:, None]
    sin = torch.sin(omega)
    linear = (1 - t) * a + t * b
    spherical = (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / sin.clamp_min(1e-8)
    return torch.where(sin.abs() < 1e-6, linear, spherical)


def latent_path(anchors: list[torch.Tensor], steps: int, mode: str) -> list[torch.Tensor]:
    """``steps`` points per segment between consecutive anchors (the last anchor included once)."""
    if mode not in ("linear", "slerp"):
        raise UsageError(f"unknown interpolation mode {mode!r} (linear or slerp)")
    points = []
    for a, b in zip(anchors, anchors[1:]):
        for i in range(steps):
            t = i / steps
            points.append((1 - t) * a + t * b if mode == "linear" else slerp(a, b, t))
    points.append(anchors[-1])
    return points
