"""The HSV colour space and random affine augmentation: conversions, geometry, and their place in training."""

import numpy as np
import pytest
import torch
from matplotlib.colors import hsv_to_rgb as mpl_hsv_to_rgb
from matplotlib.colors import rgb_to_hsv as mpl_rgb_to_hsv
from PIL import Image

from fractaldream.errors import UsageError
from gans.training.color import from_rgb, hsv_to_rgb, rgb_to_hsv, to_rgb
from gans.training.config import resolve
from gans.training.monitor import to_pil
from gans.training.runs import load_run
from gans.training.loop import Trainer, train
from gans.training.tricks import random_affine
from gans_fixtures import fdd, tiny_config  # noqa: F401  (fixtures)


def _channels_last(x):
    return np.moveaxis(x, -3, -1)


def _channels_first(x):
    return np.moveaxis(x, -1, -3)


def test_rgb_hsv_conversions_match_matplotlib():
    rng = np.random.default_rng(0)
    rgb = rng.random((3, 3, 8, 8)).astype(np.float32)
    rgb[1] = np.round(rgb[1] * 3) / 3  # ties between channels, greys, black and white
    rgb[2, :, 0, :8] = np.array([[0, 0, 0], [1, 1, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0, 1, 1],
                                 [0.5, 0.5, 0.5]]).T
    expected = _channels_first(mpl_rgb_to_hsv(_channels_last(rgb)))
    assert np.abs(rgb_to_hsv(torch.from_numpy(rgb)).numpy() - expected).max() < 1e-6

    hsv = rng.random((2, 3, 8, 8)).astype(np.float32)
    hsv[0, 0, 0, :4] = [0, 1, 1 / 6, 0.5]  # hue 1 is hue 0
    hsv[0, 1, 1] = 0  # no saturation: grey
    expected = _channels_first(mpl_hsv_to_rgb(_channels_last(hsv)))
    assert np.abs(hsv_to_rgb(torch.from_numpy(hsv)).numpy() - expected).max() < 1e-6


def test_model_range_round_trip():
    x = torch.rand(4, 3, 8, 8) * 2 - 1
    assert from_rgb(x, "rgb") is x and to_rgb(x, "rgb") is x
    hsv = from_rgb(x, "hsv")
    assert hsv.min() >= -1 and hsv.max() <= 1 and not torch.allclose(hsv, x)
    assert torch.allclose(hsv[:, 2], x.amax(dim=1))  # value = the brightest channel
    assert torch.allclose(to_rgb(hsv, "hsv"), x, atol=1e-5)


def _square(size=32, side=8):
    x = torch.full((1, 3, size, size), -1.0)
    start = (size - side) // 2
    x[..., start:start + side, start:start + side] = 1
    return x


def test_affine_zoom_fills_black_and_scales_about_the_centre():
    white = torch.ones(2, 3, 32, 32)
    out = random_affine(white, 0, 0, (0.5, 0.5))
    assert torch.allclose(out[..., 10:22, 10:22], white[..., 10:22, 10:22], atol=1e-5)
    assert torch.all(out[..., :6, :] == -1) and torch.all(out[..., :, -6:] == -1)  # black frame
    grown = random_affine(_square(), 0, 0, (2.0, 2.0))
    assert torch.allclose((grown > 0).sum(), torch.tensor(3 * 16 * 16), atol=3 * 16)


def test_affine_rotation_and_shift_move_images_deterministically_under_the_seed():
    torch.manual_seed(0)
    yy, xx = torch.meshgrid(torch.arange(32) - 15.5, torch.arange(32) - 15.5, indexing="ij")
    disc = torch.where(xx ** 2 + yy ** 2 < 100, 1.0, -1.0).expand(4, 3, 32, 32)
    turned = random_affine(disc, 180, 0, None)
    assert (turned - disc).abs().mean() < 0.05  # a centred disc is the same at every angle
    bar = _square().repeat(4, 1, 1, 1)
    bar[..., 8:24, 2:30] = 1
    turned = random_affine(bar, 180, 0, None)
    assert (turned - bar).abs().mean() > 0.1 and not torch.allclose(turned[0], turned[1])
    shifted = random_affine(_square().repeat(8, 1, 1, 1), 0, 0.25, None)
    mass = (shifted[:, 0] > 0).float()
    centre_x = (mass * (torch.arange(32) - 15.5)).sum((1, 2)) / mass.sum((1, 2))
    assert centre_x.abs().max() <= 8.5 and centre_x.abs().max() > 1  # up to a quarter of the size
    torch.manual_seed(1)
    first = random_affine(bar, 30, 0.1, (0.9, 1.1))
    torch.manual_seed(1)
    assert torch.equal(first, random_affine(bar, 30, 0.1, (0.9, 1.1)))


def test_real_batches_are_augmented_in_rgb_then_converted(fdd, tmp_path):
    augment = dict(affine_degrees=20, affine_translate=0.1, affine_scale=(0.9, 1.1))

    def first_batch(**options):
        trainer = Trainer(resolve(tiny_config(fdd, tmp_path / "run", **options)), None)
        return next(trainer.batches(0, 0))[0]

    rgb = first_batch(**augment)
    hsv = first_batch(color_space="hsv", **augment)
    assert not torch.allclose(rgb, first_batch())  # the augmentation moved the images
    assert torch.allclose(hsv, from_rgb(rgb, "hsv"), atol=1e-6)


def test_hsv_run_writes_rgb_pictures_and_reads_rgb_images(fdd, tmp_path, capsys):
    config = tiny_config(fdd, tmp_path / "run", color_space="hsv", affine_degrees=10, max_steps=2, seed=3)
    run = load_run(train(config))
    assert run.config.color_space == "hsv"
    assert "no longer matches" not in capsys.readouterr().err  # dcgan: no parameter vector to mismatch
    z = run.model.sample_latent(16, generator=torch.Generator().manual_seed(4))  # the trainer's fixed noise
    raw = run.generator(z)
    assert torch.allclose(run.generate(z), to_rgb(raw, "hsv"))
    with Image.open(run.run_dir / "grid.png") as grid:
        pixels = np.asarray(grid.convert("RGB"))
    assert np.abs(pixels.astype(int) - np.asarray(to_pil(run.generate(z)))).max() <= 1
    assert np.abs(pixels.astype(int) - np.asarray(to_pil(raw))).max() > 10
    real = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
    assert torch.allclose(run.model_input(real), rgb_to_hsv(real.float() / 255) * 2 - 1, atol=1e-6)


def test_augmenting_a_conditional_model_warns_once(fdd, tmp_path, capsys):
    train(tiny_config(fdd, tmp_path / "run", model="lsd", affine_translate=0.05, max_steps=2))
    assert capsys.readouterr().err.count("no longer matches its parameter vector") == 1


@pytest.mark.parametrize("changes,message", [
    (dict(color_space="lab"), "unknown colour space"),
    (dict(affine_degrees=200.0), "--affine-degrees"),
    (dict(affine_translate=-0.1), "--affine-translate"),
    (dict(affine_scale=(1.2, 0.9)), "--affine-scale"),
])
def test_bad_trick_settings_are_usage_errors(fdd, tmp_path, changes, message):
    with pytest.raises(UsageError, match=message):
        resolve(tiny_config(fdd, tmp_path / "run", **changes))
