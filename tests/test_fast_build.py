"""The fast path: lockstep float32 kernels, exact binning and shading, fidelity to float64, precision."""

import dataclasses
import hashlib
import io
import math

import datashader as ds
import numba
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from click.testing import CliRunner
from datashader import transfer_functions as tf
from PIL import Image

from fractaldream import lockstep, store
from fractaldream.aggregate import aggregate
from fractaldream.attractor import MAX_CYCLE_PERIOD, cycle_period, trajectory
from fractaldream.build import build_dataset
from fractaldream.cli import main
from fractaldream.interpolate import interpolate
from fractaldream.png import encode_png
from fractaldream.render import RenderSettings, iterate, iterate_batch, occupancy_iou
from fractaldream.sample import sample_parameters
from fractaldream.settings import BuildSettings
from fractaldream.shade import BACKGROUND, HOW, PALETTES, shade, shade_all

SMALL = BuildSettings(size=24, points=10_000, palettes=("blue", "green"))
DEGENERATE = [
    [0.1, 0.2, 0.0, 0.0, 0.0, 0.0],  # fixed point
    [0.3, -0.2, 0.5, 0.5, 0.1, 0.1],  # converges to a fixed point
    [0.5, 0.5, 3e38, 1.0, 3e38, 1.0],  # a * x overflows float32 (not float64)
]


def candidates(count, seed=0):
    return sample_parameters(seed, 0, count, (-1.0, 1.0), (-3.0, 3.0))


def snapshot(folder):
    return {p.relative_to(folder): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@numba.njit
def _sinpi_all(u):
    out = np.empty_like(u)
    for i in range(u.shape[0]):
        out[i] = lockstep.sinpi(u[i])
    return out


# -- the kernel --------------------------------------------------------------------------------------
def test_polynomial_sine_is_within_1e6_of_sin_and_exactly_odd():
    x = np.linspace(-4.0, 4.0, 400_001).astype(np.float32)
    for b in (3.0, 2.2, -1.7, 0.3):
        b_pi = np.float32(b / math.pi)
        approx = _sinpi_all(b_pi * x).astype(np.float64)
        assert np.max(np.abs(approx - np.sin(np.float64(np.float32(b)) * x))) < 1e-6
        assert np.array_equal(_sinpi_all(b_pi * -x), -_sinpi_all(b_pi * x))


def test_a_vector_alone_gives_the_bits_it_gives_in_any_batch():
    batch = np.concatenate([candidates(45), DEGENERATE])
    together = lockstep.survey(batch, 40_000, 50)
    for k in (0, 17, 44, 45, 47):
        for company in (slice(k, k + 1), slice(max(k - 3, 0), k + 2)):
            alone = lockstep.survey(batch[company], 40_000, 50)
            at = k - company.start
            assert np.array_equal(alone.bounds[at], together.bounds[k], equal_nan=True)
            assert (alone.period[at], alone.finite[at]) == (together.period[k], together.finite[k])
            assert np.array_equal(alone.lyapunov[at], together.lyapunov[k], equal_nan=True)
    drawn = np.flatnonzero(together.finite & (together.period == 0))[:20]
    counts = lockstep.aggregate(batch[drawn], together.bounds[drawn], 40_000, 50, 32)
    for k in (0, 7, len(drawn) - 1):
        assert np.array_equal(lockstep.aggregate(batch[drawn[k]], together.bounds[drawn[k]], 40_000, 50, 32)[0], counts[k])
    settings = RenderSettings(size=32, points=40_000, burn_in=50)
    single, batched = iterate(batch[drawn[3]], settings), iterate_batch(batch, settings)[drawn[3]]
    assert np.array_equal(single.counts, batched.counts) and single.bounds == batched.bounds
    assert (single.lyapunov, single.coverage, single.status) == (batched.lyapunov, batched.coverage, batched.status)


def test_the_survey_describes_the_float32_orbit_exactly():
    params = np.concatenate([candidates(40), DEGENERATE])
    points = 300  # longer than the cycle window, shorter than the Lyapunov prefix: the segments overlap
    for length in (points, 40_000):
        found = lockstep.survey(params, length, 20)
        xs, ys = lockstep.trajectories(params, length, 20)
        for k in range(len(params)):
            if not found.finite[k]:
                assert not (np.all(np.isfinite(xs[k])) and np.all(np.isfinite(ys[k])))
                continue
            box = (xs[k].min(), xs[k].max(), ys[k].min(), ys[k].max())
            assert np.array_equal(np.array(box, np.float64), found.bounds[k])
            assert cycle_period(xs[k], ys[k], MAX_CYCLE_PERIOD) == found.period[k]
    assert found.period.max() > 1 and (found.period == 1).any() and not found.finite.all()


@pytest.mark.parametrize("size", [24, 57])
def test_fast_counts_equal_datashader_canvas_points_on_the_same_points(size):
    params = candidates(24, seed=3)
    found = lockstep.survey(params, 30_000, 100)
    drawn = np.flatnonzero(found.finite & (found.period == 0))[:6]
    counts = lockstep.aggregate(params[drawn], found.bounds[drawn], 30_000, 100, size)
    xs, ys = lockstep.trajectories(params[drawn], 30_000, 100)
    for k in range(len(drawn)):
        xmin, xmax, ymin, ymax = found.bounds[drawn[k]]
        canvas = ds.Canvas(plot_width=size, plot_height=size, x_range=(xmin, xmax), y_range=(ymin, ymax))
        reference = canvas.points(pd.DataFrame({"x": xs[k], "y": ys[k]}), "x", "y", agg=ds.count()).values
        assert counts[k].sum() == 30_000
        assert np.array_equal(counts[k], reference)
        assert np.array_equal(counts[k], aggregate(xs[k], ys[k], xmin, xmax, ymin, ymax, size))


def test_fast_and_float64_paths_judge_degenerate_vectors_alike():
    settings = {p: RenderSettings(size=32, points=20_000, burn_in=100, precision=p) for p in ("float32", "float64")}
    for v in DEGENERATE[:2]:
        assert iterate(v, settings["float32"]).status == iterate(v, settings["float64"]).status == "fixed_point"
    assert iterate(DEGENERATE[2], settings["float32"]).status == "nonfinite"
    statuses = {p: [a.status for a in iterate_batch(candidates(60), s)] for p, s in settings.items()}
    agree = np.mean([a == b for a, b in zip(statuses["float32"], statuses["float64"])])
    assert agree > 0.9 and "short_cycle" in statuses["float32"] and "ok" in statuses["float32"]


def test_fast_renders_keep_the_shape_of_the_float64_attractors():
    """The fidelity bound: median occupancy IoU >= 0.9 over 100 random accepted vectors (128 px, 1M points)."""
    settings = RenderSettings(size=128, points=1_000_000, burn_in=100, min_coverage=0.05)
    accepted = []
    for first in range(0, 1024, 128):
        batch = sample_parameters(7, first, 128, (-1.0, 1.0), (-3.0, 3.0))
        accepted += [a.params for a in iterate_batch(batch, settings, draw_cycles=False) if a.ok]
        if len(accepted) >= 100:
            break
    ious = occupancy_iou(np.array(accepted[:100]), 128, 1_000_000, 100)
    assert len(ious) == 100 and np.median(ious) >= 0.9


# -- shading and PNG ------------------------------------------------------------------------------
def gallery(counts, palette):
    height, width = counts.shape
    agg = xr.DataArray(counts, dims=("y", "x"), coords={"y": np.arange(height), "x": np.arange(width)})
    image = tf.set_background(tf.shade(agg, cmap=PALETTES[palette], how=HOW), BACKGROUND)
    return np.asarray(image.to_pil().convert("RGB"))


def count_arrays():
    rng = np.random.default_rng(0)
    yield np.zeros((16, 16), np.uint32)
    yield np.full((8, 8), 7, np.uint32)
    spike = np.zeros((20, 20), np.uint32)
    spike[3, 4], spike[5, 5] = 1, 100_000  # more levels than eq_hist's exact branch takes
    yield spike
    for _ in range(60):
        size = int(rng.integers(8, 48))
        counts = (rng.pareto(rng.uniform(0.6, 3.0), (size, size)) * 10 ** rng.uniform(0, 6)).clip(0, 2**31).astype(np.uint32)
        counts[rng.random((size, size)) < rng.uniform(0.0, 0.95)] = 0
        yield counts
    found = lockstep.survey(candidates(16), 200_000, 100)
    drawn = np.flatnonzero(found.finite & (found.period == 0))
    yield from lockstep.aggregate(candidates(16)[drawn], found.bounds[drawn], 200_000, 100, 64)


def test_shading_is_byte_identical_to_datashader():
    arrays = list(count_arrays())
    assert any(c.any() and int(c.max()) - int(c[c > 0].min()) >= 65536 for c in arrays)
    for counts in arrays:
        every = shade_all(counts, list(PALETTES))
        for palette in PALETTES:
            assert np.array_equal(every[palette], gallery(counts, palette))
            assert np.array_equal(shade(counts, palette), every[palette])


def test_encoded_png_decodes_to_the_image():
    rgb = shade(lockstep.aggregate(candidates(1), [[-1.0, 1.0, -1.0, 1.0]], 1000, 0, 40)[0], "orange")
    rgb[0, :5] = [[1, 2, 3], [255, 0, 9], [0, 0, 0], [7, 7, 7], [200, 100, 50]]
    with Image.open(io.BytesIO(encode_png(rgb))) as image:
        image.load()
        assert image.format == "PNG" and image.mode == "RGB" and image.size == (40, 40)
        assert np.array_equal(np.asarray(image), rgb)


# -- precision: recorded, honoured, the float64 path kept exact ------------------------------------
def test_builds_record_their_precision_and_float64_keeps_the_scalar_path(tmp_path):
    build_dataset(tmp_path / "fast", 6, SMALL, workers=1, progress=False)
    build_dataset(tmp_path / "exact", 6, dataclasses.replace(SMALL, precision="float64"), workers=1, progress=False)
    assert store.read_json(tmp_path / "fast" / store.BUILD_JSON)["precision"] == "float32"
    assert store.read_json(tmp_path / "exact" / store.BUILD_JSON)["precision"] == "float64"
    exact = store.read_params(tmp_path / "exact" / store.PARAMS_CSV)
    for row in exact.drop_duplicates("id").itertuples():
        xs, ys = trajectory(row.x0, row.y0, row.a, row.b, row.c, row.d, 10_000, 100)
        assert (row.xmin, row.xmax, row.ymin, row.ymax) == (xs.min(), xs.max(), ys.min(), ys.max())
    assert snapshot(tmp_path / "fast" / "images") != snapshot(tmp_path / "exact" / "images")


@pytest.mark.parametrize("precision", ["float32", "float64"])
def test_rerendering_a_row_uses_the_recorded_precision(tmp_path, precision):
    out = tmp_path / "fdd"
    build_dataset(out, 4, dataclasses.replace(SMALL, precision=precision), workers=1, progress=False)
    table = store.read_params(out / store.PARAMS_CSV)
    for id_ in (0, 3):
        png = tmp_path / f"{id_}.png"
        result = CliRunner().invoke(main, ["render", "--data", str(out), "--id", str(id_), "--out", str(png)])
        assert result.exit_code == 0, result.output
        assert png.read_bytes() == (out / table.loc[table["id"] == id_, "file"].iloc[0]).read_bytes()


def test_interpolation_records_and_honours_its_precision(tmp_path):
    start, end = candidates(2)
    for precision in ("float32", "float64"):
        out = tmp_path / precision
        table = interpolate(start, end, 3, out, RenderSettings(size=24, points=5_000, precision=precision), progress=False)
        assert store.read_json(out / store.BUILD_JSON)["precision"] == precision
        settings = RenderSettings(size=24, points=5_000, precision=precision)
        assert list(table["status"]) == [iterate((1 - t) * start + t * end, settings).status for t in (0.0, 0.5, 1.0)]


def test_resuming_with_the_other_precision_is_refused(tmp_path):
    out = tmp_path / "fdd"
    build_dataset(out, 3, SMALL, workers=1, progress=False)
    before = snapshot(out)
    result = CliRunner().invoke(main, ["build", "--n", "5", "--out", str(out), "--size", "24", "--points", "10000",
                                       "--palettes", "blue,green", "--precision", "float64"])
    assert result.exit_code == 2 and "precision='float32'" in result.output
    assert len(result.output.strip().splitlines()) == 1 and snapshot(out) == before


def test_an_unknown_precision_is_a_one_line_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["build", "--n", "3", "--out", str(tmp_path / "x"), "--precision", "float16"])
    assert result.exit_code == 2 and "--precision" in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()
    with pytest.raises(Exception, match="precision"):
        build_dataset(tmp_path / "y", 3, dataclasses.replace(SMALL, precision="half"), workers=1, progress=False)
    assert not (tmp_path / "y").exists()
