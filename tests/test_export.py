"""``gans export``: a real tiny renderer run made into a folder to publish, read back by load_run and generate."""

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from fractaldream.errors import FractalDreamError
from gans.cli import main
from gans.training.checkpoint import CHECKPOINT
from gans.training.loop import train
from gans.training.runs import load_run
from gans_fixtures import fdd, tiny_config  # noqa: F401  (fixtures)


@pytest.fixture(scope="module")
def renderer_run(fdd, tmp_path_factory):  # noqa: F811
    return train(tiny_config(fdd, tmp_path_factory.mktemp("renderer") / "run", model="renderer", max_steps=2))


def _export(*args):
    return CliRunner().invoke(main, ["export", *map(str, args)])


def test_a_half_export_drops_the_training_state_and_renders_as_the_run_does(renderer_run, tmp_path):
    out = tmp_path / "published"
    result = _export(renderer_run, "--out", out, "--half")
    assert result.exit_code == 0, result.output
    saved = torch.load(out / CHECKPOINT, weights_only=True)
    assert "optimizers" not in saved and "rng" not in saved
    assert {t.dtype for t in saved["model"].values() if t.is_floating_point()} == {torch.float16}
    assert (out / CHECKPOINT).stat().st_size < 0.6 * (renderer_run / CHECKPOINT).stat().st_size
    assert json.loads((out / "config.json").read_text())["model"] == "renderer"
    assert (out / "grid.png").is_file() and (out / "log.csv").is_file()

    original, exported = load_run(renderer_run), load_run(out)
    lo, hi = np.asarray(original.info.ranges).T
    v = np.random.default_rng(0).uniform(lo, hi, size=(32, len(lo)))
    difference = (original.generate_for_v(v, seed=0) - exported.generate_for_v(v, seed=0)).abs()
    assert difference.max() <= 3 / 255  # float16 weights: a rounding of the last quantisation step at most

    np.save(tmp_path / "v.npy", v[:3])
    result = CliRunner().invoke(main, ["generate", str(out), "--v", str(tmp_path / "v.npy"), "--out", str(tmp_path / "g")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "g").iterdir()) == ["0.png", "1.png", "2.png"]


def test_an_export_cannot_be_resumed(renderer_run, fdd, tmp_path):  # noqa: F811
    out = tmp_path / "published"
    assert _export(renderer_run, "--out", out).exit_code == 0
    with pytest.raises(FractalDreamError, match="cannot be resumed"):
        train(tiny_config(fdd, out, model="renderer", max_steps=4, resume=True))


def test_refusals(renderer_run, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "other.txt").write_text("keep me")
    for args, message in [((renderer_run, "--out", tmp_path / "full"), "not an empty folder"),
                          ((tmp_path / "missing", "--out", tmp_path / "o"), "not a run folder"),
                          ((tmp_path / "full", "--out", tmp_path / "o"), "no checkpoint")]:
        result = _export(*args)
        assert result.exit_code == 2 and message in result.output, result.output
    assert (tmp_path / "full" / "other.txt").read_text() == "keep me"


def test_a_full_disk_fails_in_one_line_and_leaves_nothing(renderer_run, small_disk):
    result = _export(renderer_run, "--out", small_disk / "published", "--half")
    assert result.exit_code == 1 and "No space left on device" in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert list(small_disk.iterdir()) == []
