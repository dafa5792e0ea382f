"""The FDD ceiling: trained on the stream, scored on held-out stream attractors, cached; FFD on its features."""

import itertools
import re

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from fractaldream.identifiable import TARGETS, identifiable_targets
from fractaldream.render import iterate_batch
from fractaldream.settings import BuildSettings
from fractaldream.stream import FractalDreamStream
from gans.cli import main
from gans.metrics import defaults
from gans.metrics.ffd import frechet_fractal_distance
from gans.metrics.regressor import (HELD_OUT_FIRST_CHUNK, cache_path, ceiling_regressor, full_config, held_out_scores,
                                    read_targets, stream_segment, symmetric_ranges, symmetric_variants, train_ceiling)
from gans_fixtures import fdd  # noqa: F401  (a fixture)

torch.set_num_threads(1)

#: A tiny stream (few points: fast renders) and a tiny training: seconds.
BUILD = BuildSettings(size=32, points=20_000, palettes=("blue",))
TINY = {**defaults.CEILING_TINY_CONFIG, "render_workers": 0}
HELD_OUT = 300


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("gans_cache")


@pytest.fixture(scope="module")
def ceiling(cache):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GANS_DATA", str(cache))
        return ceiling_regressor(BUILD, 32, defaults.CEILING_TINY_ATTRACTORS, HELD_OUT, TINY, progress=False)


def test_the_ceiling_reads_abs_a_where_a_shuffled_target_control_does_not(ceiling):
    images, v = stream_segment(BUILD, 32, 0, defaults.CEILING_TINY_ATTRACTORS)
    test_images, test_v = stream_segment(BUILD, 32, HELD_OUT_FIRST_CHUNK, HELD_OUT)
    shuffled = v[np.random.default_rng(0).permutation(len(v))]
    control = held_out_scores(read_targets(*train_ceiling(images, shuffled, {**defaults.REGRESSOR, **TINY},
                                                          progress=False), test_images), identifiable_targets(test_v))
    ours, theirs = ceiling.held_out.r2["abs_a"], control.r2["abs_a"]
    print(f"held-out R2 |a|: ceiling {ours}, shuffled-target control {theirs}")
    assert ours.estimate > 0.3 and ours.low > theirs.high
    assert ceiling.held_out.n == HELD_OUT and set(ceiling.scores) == set(TARGETS)
    assert 0 <= ceiling.held_out.accuracy["sign_ab"].estimate <= 1
    assert ceiling.predict(test_images[:7]).shape == (7, len(TARGETS))


def test_held_out_attractors_are_not_trained_on():
    _, v = stream_segment(BUILD, 32, 0, defaults.CEILING_TINY_ATTRACTORS)
    _, test_v = stream_segment(BUILD, 32, HELD_OUT_FIRST_CHUNK, HELD_OUT)
    assert not set(map(tuple, v)) & set(map(tuple, test_v))


def test_the_ceiling_is_cached_and_reused(ceiling, cache, monkeypatch):
    monkeypatch.setenv("GANS_DATA", str(cache))
    assert ceiling.path.is_file() and ceiling.path.is_relative_to(cache)
    saved_at = ceiling.path.stat().st_mtime_ns
    again = ceiling_regressor(BUILD, 32, defaults.CEILING_TINY_ATTRACTORS, HELD_OUT, TINY, progress=False)
    assert again.path == ceiling.path and again.path.stat().st_mtime_ns == saved_at  # loaded, not retrained
    assert again.held_out == ceiling.held_out and again.train_seconds == ceiling.train_seconds
    for key, value in ceiling.model.state_dict().items():
        assert torch.equal(value, again.model.state_dict()[key])
    # Only the speed: the same ceiling. Another training, or other images: another.
    assert ceiling_regressor(BUILD, 32, defaults.CEILING_TINY_ATTRACTORS, HELD_OUT, {**TINY, "render_workers": 3},
                             progress=False).path == ceiling.path
    other = BuildSettings(size=32, points=20_001, palettes=("blue",))
    config = full_config(32, defaults.CEILING_TINY_ATTRACTORS, HELD_OUT, TINY)
    assert cache_path(other, config) != ceiling.path != cache_path(BUILD, {**config, "passes": 4})


def test_rendering_workers_do_not_change_the_segment():
    one = stream_segment(BUILD, 32, 5, 200, workers=0)
    two = stream_segment(BUILD, 32, 5, 200, workers=2)
    assert np.array_equal(one[0], two[0]) and np.array_equal(one[1], two[1])


def test_symmetric_variants_are_the_renders_of_the_transformed_vectors():
    """Every variant's image is the float64 render of its v; all eight variants occur, eight different pictures."""
    exact = BuildSettings(size=32, points=20_000, palettes=("blue",), precision="float64")
    images, v = FractalDreamStream(exact, seed=4, normalize=False).take(3)

    def transformed(u, mirror, turn, swap):  # the symmetries as the issue states them
        u = u * [1, -1, -1, -1, -1, -1] if mirror else u.copy()
        u = u * [-1, -1, 1, 1, 1, 1] if turn else u
        return u[[1, 0, 3, 2, 5, 4]] if swap else u

    for image, u in zip(images.numpy(), v):
        expected = [transformed(u, *flags) for flags in itertools.product([False, True], repeat=3)]
        renders = [a.image("blue").transpose(2, 0, 1) for a in iterate_batch(expected, exact.render)]
        copies = 64
        variants, variant_v = symmetric_variants(np.repeat(image[None], copies, 0), np.tile(u, (copies, 1)),
                                                 np.random.default_rng(0))
        drawn = set()
        for picture, w in zip(variants, variant_v):
            k = next(k for k, e in enumerate(expected) if np.array_equal(w, e))
            assert np.array_equal(picture, renders[k])
            drawn.add(k)
        assert drawn == set(range(8))
        assert len({r.tobytes() for r in renders}) == 8


def test_symmetries_are_used_only_where_the_ranges_are_symmetric():
    assert symmetric_ranges(BUILD)
    assert not symmetric_ranges(BuildSettings(range_abcd=(0.0, 3.0)))
    assert not symmetric_ranges(BuildSettings(range_xy=(-1.0, 2.0)))


def test_ffd_separates_fractals_from_noise(ceiling):
    real = stream_segment(BUILD, 32, HELD_OUT_FIRST_CHUNK, 128)[0]
    real = torch.from_numpy(real).float() / 255
    half = len(real) // 2
    same = frechet_fractal_distance(real[:half], real[half:], ceiling)
    noise = frechet_fractal_distance(torch.rand_like(real[:half]), real[half:], ceiling)
    assert frechet_fractal_distance(real, real, ceiling) == pytest.approx(0, abs=1e-6)
    assert noise > 2 * same > 0  # two halves of 64 images: a small-sample bias, not zero


def test_regressor_cli_prints_the_ceiling_and_its_curve(fdd, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("GANS_DATA", str(tmp_path))
    arguments = ["metrics", "regressor", "--data", str(fdd), "--attractors", "400", "--held-out", "200",
                 "--curve", "256,400", "--min-images", "0"]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    ceiling = re.search(r"ceiling: +400 attractors x 2 passes, held out 200: (.*)", result.output)[1]
    assert re.findall(r"R2 (\w+) -?\d", ceiling) == list(TARGETS) and "accuracy sign_ab" in ceiling
    curve = re.findall(r"^ +(\d+) attractors x 2 passes, held out 200", result.output, re.MULTILINE)
    assert curve == ["256", "400"]
    # One file per distinct ceiling: the curve's 400 is the ceiling.
    assert len(list((tmp_path / "regressors").iterdir())) == 2
    bad = CliRunner().invoke(main, arguments[:-4] + ["--curve", "3k"])
    assert bad.exit_code != 0 and "--curve takes attractor budgets" in bad.output
