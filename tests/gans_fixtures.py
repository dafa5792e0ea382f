"""Shared by the gans test files: the tiny Fractal Dream Dataset and a fast training config."""

import pytest
import torch

from gans.config import TrainConfig

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def fdd(tiny_fdd):
    """The session's tiny FDD (conftest: n=64, 32x32, palette blue)."""
    return tiny_fdd


def tiny_config(fdd, out, **changes) -> TrainConfig:
    settings = dict(model="dcgan", dataset="fractal", data=str(fdd), image_size=32, batch_size=16, max_steps=3,
                    log_every=1, device="cpu", out=str(out), progress=False, grid_size=16, width=8)
    return TrainConfig(**{**settings, **changes})
