"""``gans generate``: G(v) of real tiny runs as PNGs, from a run folder alone, and its one-line refusals."""

import shutil

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from gans.cli import main
from gans.models import MODELS, model_class
from gans.training.checkpoint import CHECKPOINT
from gans.training.loop import train
from gans.training.runs import BATCH, load_run
from gans_fixtures import fdd, tiny_config  # noqa: F401  (fixtures)


V_MODELS = [name for name in MODELS if "v" in model_class(name).conditioning]


@pytest.fixture(scope="module", params=V_MODELS)
def v_run(request, fdd, tmp_path_factory):  # noqa: F811
    return train(tiny_config(fdd, tmp_path_factory.mktemp(request.param) / "run", model=request.param, max_steps=2))


@pytest.fixture(scope="module")
def dcgan_run(fdd, tmp_path_factory):  # noqa: F811
    return train(tiny_config(fdd, tmp_path_factory.mktemp("dcgan") / "run", max_steps=1))


def _generate(*args):
    result = CliRunner().invoke(main, ["generate", *map(str, args)])
    return result


def _vectors_inside(run_dir, n, seed=0):
    lo, hi = np.asarray(load_run(run_dir).info.ranges).T
    return np.random.default_rng(seed).uniform(lo, hi, size=(n, len(lo)))


def _saved(tmp_path, vectors, name="v.npy"):
    path = tmp_path / name
    np.save(path, vectors)
    return path


def _pngs(folder):
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_writes_g_of_each_row_as_the_run_generates_it(v_run, tmp_path):
    vectors = _vectors_inside(v_run, 5)
    out = tmp_path / "new" / "out"
    result = _generate(v_run, "--v", _saved(tmp_path, vectors), "--out", out)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # every row inside the training ranges: no warning
    assert result.stdout.strip().splitlines() == [f"wrote 5 PNGs (32x32) of G(v) from {v_run} to {out}"]
    assert sorted(p.name for p in out.iterdir()) == [f"{row}.png" for row in range(5)]
    expected = (load_run(v_run).generate_for_v(vectors, seed=0) * 255).round().byte().permute(0, 2, 3, 1).numpy()
    for row in range(5):
        image = Image.open(out / f"{row}.png")
        assert image.size == (32, 32)
        np.testing.assert_array_equal(np.asarray(image), expected[row])


def test_same_run_and_v_give_identical_bytes(v_run, tmp_path):
    v_file = _saved(tmp_path, _vectors_inside(v_run, 3, seed=1))
    for folder in ("a", "b"):
        assert _generate(v_run, "--v", v_file, "--out", tmp_path / folder).exit_code == 0
    assert _pngs(tmp_path / "a") == _pngs(tmp_path / "b")


def test_existing_pngs_are_kept_unless_overwrite(v_run, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "1.png").write_bytes(b"mine")
    v_file = _saved(tmp_path, _vectors_inside(v_run, 2))
    result = _generate(v_run, "--v", v_file, "--out", out)
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and "--overwrite" in result.output
    assert _pngs(out) == {"1.png": b"mine"}
    result = _generate(v_run, "--v", v_file, "--out", out, "--overwrite")
    assert result.exit_code == 0, result.output
    assert sorted(_pngs(out)) == ["0.png", "1.png"] and Image.open(out / "1.png").size == (32, 32)


def test_rows_outside_the_training_ranges_warn_in_one_line_and_are_generated(v_run, tmp_path):
    vectors = _vectors_inside(v_run, 2)
    vectors[1, 2] = 1e3  # a
    result = _generate(v_run, "--v", _saved(tmp_path, vectors), "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("Warning: 1 of 2 rows") and "(a -3..3)" in result.stderr  # the build's range of a
    assert sorted(_pngs(tmp_path / "out")) == ["0.png", "1.png"]


def test_a_run_folder_copied_alone_generates_without_its_data(fdd, tmp_path):  # noqa: F811
    data = tmp_path / "data"
    shutil.copytree(fdd, data)
    run_dir = train(tiny_config(data, tmp_path / "run", model="lsd", max_steps=2))
    v_file = _saved(tmp_path, _vectors_inside(run_dir, 3))
    assert _generate(run_dir, "--v", v_file, "--out", tmp_path / "before").exit_code == 0
    published = tmp_path / "published" / "lsd"
    published.mkdir(parents=True)
    shutil.copy2(run_dir / CHECKPOINT, published / CHECKPOINT)
    shutil.rmtree(data)
    shutil.rmtree(run_dir)
    result = _generate(published, "--v", v_file, "--out", tmp_path / "after")
    assert result.exit_code == 0, result.output
    assert _pngs(tmp_path / "after") == _pngs(tmp_path / "before")


def test_cdcgan_noise_follows_seed(fdd, tmp_path):  # noqa: F811
    run_dir = train(tiny_config(fdd, tmp_path / "run", model="cdcgan", max_steps=1))
    v_file = _saved(tmp_path, _vectors_inside(run_dir, 2))
    for folder, seed in (("a", 0), ("b", 0), ("c", 1)):
        assert _generate(run_dir, "--v", v_file, "--out", tmp_path / folder, "--seed", seed).exit_code == 0
    assert _pngs(tmp_path / "a") == _pngs(tmp_path / "b") != _pngs(tmp_path / "c")


def _write_v(kind, path):
    """A --v file that must be refused, by ``kind``."""
    good = np.ones((2, 6))
    if kind == "text":
        path.write_text("x0,y0,a,b,c,d\n0,0,1,1,1,1\n")
    elif kind == "npz":
        np.savez(path, v=good)
    elif kind == "pickled":
        np.save(path, np.array([{"v": 1}] * 6, dtype=object).reshape(1, 6), allow_pickle=True)
    elif kind == "five columns":
        np.save(path, np.ones((2, 5)))
    elif kind == "one row flat":
        np.save(path, np.ones(6))
    elif kind == "no rows":
        np.save(path, np.ones((0, 6)))
    elif kind == "nan":
        np.save(path, np.array([[0, 0, 1, 1, 1, 1], [0, 0, np.nan, 1, 1, 1]], float))
    elif kind == "inf":
        np.save(path, np.array([[0, 0, 1, 1, 1, np.inf]], float))
    elif kind == "strings":
        np.save(path, np.full((2, 6), "1"))
    elif kind != "missing":
        raise ValueError(kind)


BAD_V = ["missing", "text", "npz", "pickled", "five columns", "one row flat", "no rows", "nan", "inf", "strings"]


def _refused_in_one_line(result, out, words):
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and words in lines[0], result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)  # not a crash
    assert not out.exists()


@pytest.mark.parametrize("kind", BAD_V)
def test_bad_v_is_refused_in_one_line_and_nothing_is_written(dcgan_run, fdd, tmp_path, kind):  # noqa: F811
    v_file = tmp_path / "v.npy"
    _write_v(kind, v_file)
    out = tmp_path / "out"
    # the v file is checked before the run is loaded: a run that takes no v shows the v error comes first
    _refused_in_one_line(_generate(dcgan_run, "--v", v_file, "--out", out), out, "--v")


def test_a_model_without_v_is_refused(dcgan_run, tmp_path):
    out = tmp_path / "out"
    result = _generate(dcgan_run, "--v", _saved(tmp_path, _vectors_inside(dcgan_run, 2)), "--out", out)
    _refused_in_one_line(result, out, "model dcgan does not take a parameter vector v")


@pytest.mark.parametrize("run", ["missing", "empty folder"])
def test_a_bad_run_is_refused(tmp_path, run):
    run_dir = tmp_path / "run"
    if run == "empty folder":
        run_dir.mkdir()
    out = tmp_path / "out"
    result = _generate(run_dir, "--v", _saved(tmp_path, np.ones((2, 6))), "--out", out)
    _refused_in_one_line(result, out, "no checkpoint")


def test_a_damaged_checkpoint_fails_in_one_line_as_gans_sample_does(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / CHECKPOINT).write_bytes(b"not a checkpoint")
    out = tmp_path / "out"
    result = _generate(run_dir, "--v", _saved(tmp_path, np.ones((2, 6))), "--out", out)
    assert result.exit_code == 1  # load_checkpoint's code for an unreadable file, shared with gans sample
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: cannot read checkpoint {run_dir / CHECKPOINT}: ")
    assert not out.exists()


def test_out_that_is_a_file_is_refused(v_run, tmp_path):
    out = tmp_path / "out"
    out.write_text("a file")
    result = _generate(v_run, "--v", _saved(tmp_path, _vectors_inside(v_run, 1)), "--out", out)
    assert result.exit_code == 2 and "not a folder" in result.output
    assert out.read_text() == "a file"


def test_many_rows_are_generated_in_blocks_seeded_by_their_first_row(v_run, tmp_path):
    vectors = _vectors_inside(v_run, BATCH + 2)
    out = tmp_path / "out"
    result = _generate(v_run, "--v", _saved(tmp_path, vectors), "--out", out)
    assert result.exit_code == 0, result.output
    assert len(list(out.iterdir())) == BATCH + 2
    last_block = load_run(v_run).generate_for_v(vectors[BATCH:], seed=BATCH)
    expected = (last_block[-1] * 255).round().byte().permute(1, 2, 0).numpy()
    np.testing.assert_array_equal(np.asarray(Image.open(out / f"{BATCH + 1}.png")), expected)
