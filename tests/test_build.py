"""The builder end to end: kernel, aggregation, shading, layout, determinism, resume, bad input."""

import hashlib
import math
import os
import signal
import subprocess
import sys
import time

import datashader as ds
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from datashader import transfer_functions as tf

from fractaldream import store
from fractaldream.aggregate import aggregate, bounding_box
from fractaldream.attractor import trajectory
from fractaldream.build import build_dataset
from fractaldream.cli import main
from fractaldream.render import RenderSettings, iterate
from fractaldream.settings import BuildSettings
from fractaldream.shade import BACKGROUND, HOW, PALETTES, shade

REPORT_VECTORS = [
    (-0.00545687187361743, -0.5312304575586382, 1.8197494653032407, 2.422111729355857, 1.4944898296889655, 2.487490210145214),
    (-0.319459804135373, -0.0981842500805612, 0.42291442353441633, 1.7253282321258185, 1.4272325555244099, 1.3701336149016234),
    (-0.9333646250089, -0.3698044331245828, -1.9514116449042127, -0.376713271698188, -1.1759178511809651, -1.7157801385982319),
]
SMALL = BuildSettings(size=24, points=10_000, palettes=("blue", "green"))


def snapshot(folder):
    """Every file under folder with its content hash (empty when the folder does not exist)."""
    if not folder.exists():
        return {}
    return {p.relative_to(folder): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def run_cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output


# -- iterate -> aggregate -> shade ----------------------------------------------------------------
@pytest.mark.parametrize("burn_in", [0, 7])
def test_trajectory_follows_the_formula_step_by_step(burn_in):
    x0, y0, a, b, c, d = REPORT_VECTORS[0]
    xs, ys = trajectory(x0, y0, a, b, c, d, 50, burn_in)
    x, y = x0, y0
    expected = []
    for _ in range(burn_in + 50):
        expected.append((x, y))
        x, y = math.sin(b * y) + c * math.sin(b * x), math.sin(a * x) + d * math.sin(a * y)
    assert np.array_equal(np.column_stack([xs, ys]), np.array(expected[burn_in:]))


@pytest.mark.parametrize("vector", REPORT_VECTORS)
def test_aggregate_counts_equal_datashader_canvas_points(vector):
    xs, ys = trajectory(*vector, 100_000, 100)
    xmin, xmax, ymin, ymax = bounding_box(xs, ys)
    ours = aggregate(xs, ys, xmin, xmax, ymin, ymax, 48)
    canvas = ds.Canvas(plot_width=48, plot_height=48, x_range=(xmin, xmax), y_range=(ymin, ymax))
    reference = canvas.points(pd.DataFrame({"x": xs, "y": ys}), "x", "y", agg=ds.count())
    assert ours.sum() == len(xs)
    assert np.array_equal(ours, reference.values)


@pytest.mark.parametrize("palette", sorted(PALETTES))
def test_shade_equals_the_datashader_gallery_image(palette):
    xs, ys = trajectory(*REPORT_VECTORS[1], 50_000, 100)
    xmin, xmax, ymin, ymax = bounding_box(xs, ys)
    canvas = ds.Canvas(plot_width=40, plot_height=40, x_range=(xmin, xmax), y_range=(ymin, ymax))
    agg = canvas.points(pd.DataFrame({"x": xs, "y": ys}), "x", "y", agg=ds.count())
    gallery = tf.set_background(tf.shade(agg, cmap=PALETTES[palette], how=HOW), BACKGROUND).to_pil().convert("RGB")
    ours = shade(aggregate(xs, ys, xmin, xmax, ymin, ymax, 40), palette)
    assert np.array_equal(ours, np.asarray(gallery))


def test_degenerate_vectors_are_recognised():
    settings = RenderSettings(size=32, points=20_000, burn_in=100)
    assert iterate([0.1, 0.2, 0, 0, 0, 0], settings).status == "fixed_point"
    assert iterate([0.3, -0.2, 0.5, 0.5, 0.1, 0.1], settings).status == "fixed_point"
    assert iterate(REPORT_VECTORS[0], settings).status == "ok"
    code, output = run_cli("render", "--params", "0 0 0 0 0 0", "--out", "never.png")
    assert code == 2 and "degenerate" in output and not os.path.exists("never.png")


# -- the data set on disk ---------------------------------------------------------------------------
def test_build_layout_table_and_settings(tiny_fdd):
    table = store.read_params(tiny_fdd / store.PARAMS_CSV)
    settings = store.read_json(tiny_fdd / store.BUILD_JSON)
    assert list(table.columns) == list(store.COLUMNS)
    assert sorted(table["id"]) == list(range(64)) and table["candidate"].is_monotonic_increasing
    assert {k: settings[k] for k in ("attractor", "n", "size", "points", "burn_in", "seed", "palettes")} == {
        "attractor": "fractal_dream", "n": 64, "size": 32, "points": 20_000, "burn_in": 100, "seed": 0, "palettes": ["blue"]}
    assert (table["coverage"] >= 0.05).all() and np.isfinite(table["lyapunov"]).all()
    assert (table["xmin"] < table["xmax"]).all() and (table["ymin"] < table["ymax"]).all()
    assert snapshot(tiny_fdd / "images").keys() == {p.relative_to("images") for p in map(__import__("pathlib").Path, table["file"])}


def test_a_row_rerendered_from_its_values_reproduces_the_stored_image(tiny_fdd, tmp_path):
    table = store.read_params(tiny_fdd / store.PARAMS_CSV)
    for id_ in (0, 17, 63):
        out = tmp_path / f"{id_}.png"
        code, output = run_cli("render", "--data", tiny_fdd, "--id", id_, "--out", out)
        assert code == 0, output
        stored = tiny_fdd / table.loc[table["id"] == id_, "file"].iloc[0]
        assert out.read_bytes() == stored.read_bytes()


def test_kept_rows_reiterate_as_accepted_with_their_recorded_box(tiny_fdd):
    settings = store.read_json(tiny_fdd / store.BUILD_JSON)
    table = store.read_params(tiny_fdd / store.PARAMS_CSV)
    render_settings = RenderSettings(settings["size"], settings["points"], settings["burn_in"], settings["min_coverage"])
    for row in table.head(8).itertuples():
        attractor = iterate([row.x0, row.y0, row.a, row.b, row.c, row.d], render_settings)
        assert attractor.status == "ok"
        assert attractor.bounds == (row.xmin, row.xmax, row.ymin, row.ymax)
        assert attractor.coverage == row.coverage and attractor.lyapunov == row.lyapunov


def test_same_command_gives_the_same_data_set_whatever_the_workers(tmp_path):
    build_dataset(tmp_path / "one", 12, SMALL, workers=1, progress=False)
    build_dataset(tmp_path / "two", 12, SMALL, workers=2, progress=False)
    build_dataset(tmp_path / "again", 12, SMALL, workers=1, progress=False)
    reference = snapshot(tmp_path / "one")
    assert len(reference) == 3 + 12 * 2  # build.json, params.csv, the writer lock .lock, two images each
    assert snapshot(tmp_path / "two") == reference == snapshot(tmp_path / "again")


def test_extending_with_a_larger_n_equals_building_it_at_once(tmp_path):
    build_dataset(tmp_path / "grown", 5, SMALL, workers=1, progress=False)
    summary = build_dataset(tmp_path / "grown", 11, SMALL, workers=1, progress=False)
    build_dataset(tmp_path / "whole", 11, SMALL, workers=1, progress=False)
    assert (summary.count, summary.added) == (11, 6)
    assert snapshot(tmp_path / "grown") == snapshot(tmp_path / "whole")


def test_resume_repairs_everything_a_killed_build_can_leave(tmp_path):
    whole = tmp_path / "whole"
    build_dataset(whole, 10, SMALL, workers=1, progress=False)
    killed = tmp_path / "killed"
    build_dataset(killed, 7, SMALL, workers=1, progress=False)
    csv = killed / store.PARAMS_CSV
    lines = csv.read_bytes().splitlines(keepends=True)
    csv.write_bytes(b"".join(lines[:-1]) + lines[-1][:25])  # attractor 6: one palette row, half of the other
    (killed / "images/blue/.0000007.png.tmp").write_bytes(b"\x89PNG half")
    (killed / "images/green/0000007.png").write_bytes((whole / "images/green/0000007.png").read_bytes())
    summary = build_dataset(killed, 10, SMALL, workers=1, progress=False)
    assert (summary.count, summary.added) == (10, 4)
    assert snapshot(killed) == snapshot(whole)


def test_resume_after_sigkill_finishes_with_exactly_n_attractors(tmp_path):
    out = tmp_path / "fdd"
    n = 1000  # about 14 chunks of candidates: the kill lands while later chunks are still to come
    command = [sys.executable, "-m", "fractaldream", "build", "--n", str(n), "--out", str(out), "--size", "24",
               "--points", "300000", "--palettes", "blue,orange", "--workers", "1"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    csv = out / store.PARAMS_CSV
    while time.time() < deadline and process.poll() is None:
        if csv.exists() and csv.read_bytes().count(b"\n") > 10:
            break
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    interrupted = store.read_params(csv, csv.read_bytes()[: csv.read_bytes().rfind(b"\n") + 1])["id"].nunique()
    assert 0 < interrupted < n, "the build was not interrupted midway"
    finished = subprocess.run(command, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    table = store.read_params(csv)
    assert sorted(table["id"].unique()) == list(range(n)) and len(table) == 2 * n
    assert not table.duplicated(["id", "palette"]).any()
    on_disk = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert on_disk == {"build.json", "params.csv", ".lock", *table["file"]}


# -- bad input: one line, exit 2, nothing written or destroyed ---------------------------------------
BAD_BUILDS = [
    (["--n", "0"], "--n"),
    (["--n", "-3"], "--n"),
    (["--n", "2.5"], "--n"),
    (["--n", "4", "--size", "7"], "--size"),
    (["--n", "4", "--size", "-32"], "--size"),
    (["--n", "4", "--points", "0"], "--points"),
    (["--n", "4", "--burn-in", "-1"], "--burn-in"),
    (["--n", "4", "--seed", "-1"], "--seed"),
    (["--n", "4", "--workers", "0"], "--workers"),
    (["--n", "4", "--palettes", "blue,purple"], "purple"),
    (["--n", "4", "--palettes", ","], "--palettes"),
    (["--n", "4", "--range-abcd", "3", "-3"], "--range-abcd"),
    (["--n", "4", "--range-xy", "1", "1"], "--range-xy"),
    (["--n", "4", "--min-coverage", "1.5"], "--min-coverage"),
]


@pytest.mark.parametrize("args, named", BAD_BUILDS)
def test_bad_build_options_are_one_line_usage_errors_that_write_nothing(tmp_path, args, named):
    out = tmp_path / "fdd"
    code, output = run_cli("build", "--out", out, *args)
    assert code == 2
    assert named in output and len(output.strip().splitlines()) == 1 and "Traceback" not in output
    assert not out.exists()


def test_a_folder_of_someone_elses_files_is_refused_and_left_alone(tmp_path):
    (tmp_path / "holiday.jpg").write_bytes(b"not ours")
    before = snapshot(tmp_path)
    code, output = run_cli("build", "--n", "3", "--out", tmp_path, "--size", "16", "--points", "1000")
    assert code == 2 and "not a Fractal Dream build" in output and len(output.strip().splitlines()) == 1
    assert snapshot(tmp_path) == before


def test_different_settings_are_refused_and_the_data_set_left_alone(tmp_path):
    out = tmp_path / "fdd"
    build_dataset(out, 3, SMALL, workers=1, progress=False)
    before = snapshot(out)
    code, output = run_cli("build", "--n", "5", "--out", out, "--size", "32", "--points", "10000",
                           "--palettes", "blue,green")
    assert code == 2 and "size=24" in output and len(output.strip().splitlines()) == 1
    assert snapshot(out) == before


@pytest.mark.parametrize("damage", [
    lambda raw: raw.replace(b"lyapunov\n", b"lyap\n"),
    lambda raw: raw.replace(b"images/blue/0000001.png,blue,1,", b"images/blue/0000001.png,blue,one,"),
    lambda raw: raw[:40] + b"\x00\xff\"" + raw[40:],
])
def test_a_damaged_params_csv_is_a_one_line_error_and_nothing_changes(tmp_path, damage):
    out = tmp_path / "fdd"
    build_dataset(out, 3, SMALL, workers=1, progress=False)
    csv = out / store.PARAMS_CSV
    csv.write_bytes(damage(csv.read_bytes()))
    before = snapshot(out)
    code, output = run_cli("build", "--n", "5", "--out", out, "--size", "24", "--points", "10000",
                           "--palettes", "blue,green")
    assert code != 0 and "damaged" in output and len(output.strip().splitlines()) == 1
    assert snapshot(out) == before
