"""Shared by the gans test files: a tiny Fractal Dream Dataset and a fast training config."""

import pytest
import torch

from gans.config import TrainConfig

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def fdd(request, tmp_path_factory):
    """The session's ``tiny_fdd`` (n=64, 32x32, blue) when conftest offers it, else our own build of it."""
    try:
        return request.getfixturevalue("tiny_fdd")
    except pytest.FixtureLookupError:
        from fractaldream.build import build_dataset

        out = tmp_path_factory.mktemp("fdd")
        build_dataset(out, n=64, size=32, points=20_000, palettes=("blue",), workers=1, progress=False,
                      min_coverage=0.05)
        return out


def tiny_config(fdd, out, **changes) -> TrainConfig:
    settings = dict(model="dcgan", dataset="fractal", data=str(fdd), image_size=32, batch_size=16, max_steps=3,
                    log_every=1, device="cpu", out=str(out), progress=False, grid_size=16, width=8)
    return TrainConfig(**{**settings, **changes})
