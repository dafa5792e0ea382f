"""The FDD parameter regressor (saved and reused by a hash of data + config) and FFD on its features."""

import itertools
import re

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from gans.cli import main
from gans.data.loading import load_data
from gans.metrics.ffd import frechet_fractal_distance
from fractaldream.render import render
from gans.metrics.regressor import grouped_split, regressor_for, symmetric_variants
from gans_fixtures import fdd  # noqa: F401  (a fixture)

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("gans_cache")


@pytest.fixture(scope="module")
def data(fdd):  # noqa: F811
    return load_data("fractal", fdd, image_size=32, progress=False)


@pytest.fixture(scope="module")
def regressor(data, cache):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GANS_DATA", str(cache))
        return regressor_for(data, {"epochs": 8}, progress=False)


def test_regressor_reports_r2_per_factor_and_is_reused(regressor, data, cache, monkeypatch):
    monkeypatch.setenv("GANS_DATA", str(cache))
    assert regressor.factors == ("x0", "y0", "a", "b", "c", "d", "abs_a", "abs_b", "abs_c", "abs_d")
    assert len(regressor.r2) == 10 and all(np.isfinite(regressor.r2))
    assert regressor.path.is_file() and regressor.path.is_relative_to(cache)
    saved_at = regressor.path.stat().st_mtime_ns
    again = regressor_for(data, {"epochs": 8}, progress=False)
    assert again.path == regressor.path and again.path.stat().st_mtime_ns == saved_at  # loaded, not retrained
    assert again.r2 == regressor.r2
    for key, value in regressor.model.state_dict().items():
        assert torch.equal(value, again.model.state_dict()[key])
    assert again.config["epochs"] == 8
    other = regressor_for(data, {"epochs": 1}, progress=False)
    assert other.path != regressor.path


def test_symmetric_variants_are_the_renders_of_the_transformed_vectors():
    v = np.array([-0.3194, -0.0982, 0.4229, 1.7253, 1.4272, 1.3701])  # from the study's report

    def transformed(mirror, turn, swap):  # in float64: the attractor is chaotic in its parameters
        u = v * [1, -1, -1, -1, -1, -1] if mirror else v.copy()
        u = u * [-1, -1, 1, 1, 1, 1] if turn else u
        return u[[1, 0, 3, 2, 5, 4]] if swap else u

    def image(u):
        return torch.from_numpy(np.array(render(u, size=32, points=20_000))).permute(2, 0, 1)

    expected = [transformed(*flags) for flags in itertools.product([False, True], repeat=3)]
    renders = [image(u) for u in expected]
    images = renders[0].expand(64, 3, 32, 32)
    variants, targets = symmetric_variants(images, torch.tensor(np.tile(v, (64, 1)), dtype=torch.float32),
                                           torch.Generator().manual_seed(0))
    drawn = set()
    for picture, target in zip(variants, targets.double().numpy()):
        k = next(k for k, u in enumerate(expected) if np.allclose(target, u, atol=1e-5))
        assert torch.equal(picture, renders[k])
        drawn.add(k)
    assert drawn == set(range(8))
    assert len({tuple(r.flatten().tolist()) for r in renders}) == 8  # eight different pictures


def test_split_keeps_an_attractor_on_one_side():
    v = np.repeat(np.random.default_rng(0).uniform(-1, 1, (20, 6)), 3, axis=0)  # three palettes each
    train, test = grouped_split(v, 0.25, seed=0)
    assert set(map(tuple, v[train])).isdisjoint(map(tuple, v[test]))
    assert len(train) + len(test) == len(v) and len(test) == 15


def test_ffd_separates_fractals_from_noise(regressor, data):
    real = data.images.float() / 255
    half = len(real) // 2
    same = frechet_fractal_distance(real[:half], real[half:], regressor)
    noise = frechet_fractal_distance(torch.rand_like(real[:half]), real[half:], regressor)
    assert frechet_fractal_distance(real, real, regressor) == pytest.approx(0, abs=1e-6)
    assert noise > 2 * same > 0  # two halves of 32 images: a small-sample bias, not zero


def test_regressor_cli_prints_the_ceiling(fdd, cache, monkeypatch):  # noqa: F811
    monkeypatch.setenv("GANS_DATA", str(cache))
    result = CliRunner().invoke(main, ["metrics", "regressor", "--data", str(fdd), "--epochs", "8"])
    assert result.exit_code == 0, result.output
    assert re.findall(r"R2 (\w+) +-?\d", result.output) == ["x0", "y0", "a", "b", "c", "d", "abs_a", "abs_b", "abs_c", "abs_d"]
