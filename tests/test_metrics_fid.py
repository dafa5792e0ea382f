"""FID through pytorch-fid: same number as `python -m pytorch_fid`, cached statistics, clear weight errors.

The Inception here has random (Kaiming-normal) weights saved where torch.hub looks for the real ones,
so nothing is downloaded; such numbers test the code path and are never reported as FID.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image
from pytorch_fid import inception as pytorch_fid_inception

from fractaldream.errors import FractalDreamError
from gans.cli import main
from gans.metrics import defaults
from gans.metrics.fid import (
    cached_statistics,
    fid_of_paths,
    frechet_distance,
    gaussian_statistics,
    load_statistics,
    statistics_of_path,
)
from gans.metrics.inception import InceptionFeatures, load_inception
from gans_fixtures import random_fid_inception_state_dict


@pytest.fixture(scope="module")
def random_weights(tmp_path_factory):
    torch_home = tmp_path_factory.mktemp("torch_home")
    checkpoints = torch_home / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    torch.save(random_fid_inception_state_dict(), checkpoints / defaults.FID_WEIGHTS_FILE)
    return torch_home


@pytest.fixture
def torch_home(random_weights, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(random_weights))
    return random_weights


@pytest.fixture(scope="module")
def image_folders(tmp_path_factory):
    """Two clearly different sets of 32x32 PNGs: noise and colour ramps."""
    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    ramp = np.linspace(0, 255, 32)[None, :, None] * np.ones((32, 1, 1))
    for name in ("noise", "ramps"):
        (root / name).mkdir()
        for i in range(12):
            if name == "noise":
                pixels = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
            else:
                pixels = (ramp * rng.uniform(0.2, 1.0, (1, 1, 3))).astype(np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i:03d}.png")
    return root / "noise", root / "ramps"


def pytorch_fid_cli(paths, dims, torch_home):
    result = subprocess.run(
        [sys.executable, "-m", "pytorch_fid", *map(str, paths), "--dims", str(dims), "--device", "cpu", "--num-workers", "0"],
        capture_output=True, text=True, check=True, env={**os.environ, "TORCH_HOME": str(torch_home)},
    )
    return float(result.stdout.strip().splitlines()[-1].split()[-1])


def ours_subprocess(args, torch_home):
    """`gans metrics fid` in a process of its own, so thread settings match the reference run's."""
    result = subprocess.run([sys.executable, "-m", "gans", "metrics", "fid", *map(str, args), "--device", "cpu"],
                            capture_output=True, text=True, check=True, env={**os.environ, "TORCH_HOME": str(torch_home)})
    return float(result.stdout.strip().splitlines()[-1].split()[-1])


def ours_cli(args):
    result = CliRunner().invoke(main, ["metrics", "fid", *map(str, args), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    return float(result.output.strip().splitlines()[-1].split()[-1])


def test_fid_matches_python_m_pytorch_fid_on_folders_and_npz(torch_home, image_folders, tmp_path):
    theirs = pytorch_fid_cli(image_folders, 64, torch_home)
    assert theirs > 1.0  # the random network separates the two sets
    assert ours_subprocess([*image_folders, "--dims", "64"], torch_home) == theirs
    # In this process (other thread settings) the float sums may round differently, nothing more.
    assert ours_cli([*image_folders, "--dims", "64"]) == pytest.approx(theirs, rel=1e-6)

    stats = tmp_path / "noise.npz"
    saved = CliRunner().invoke(main, ["metrics", "fid", str(image_folders[0]), str(stats), "--dims", "64", "--save-stats"])
    assert saved.exit_code == 0, saved.output
    assert load_statistics(stats)["mu"].shape == (64,)
    assert ours_cli([stats, image_folders[1], "--dims", "64"]) == pytest.approx(theirs, rel=1e-6)
    assert ours_cli([image_folders[0], image_folders[0], "--dims", "64"]) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.slow
def test_fid_matches_python_m_pytorch_fid_on_pool3_features(torch_home, image_folders):
    theirs = pytorch_fid_cli(image_folders, 2048, torch_home)
    assert theirs > 1.0
    assert ours_subprocess(image_folders, torch_home) == theirs


def test_in_memory_features_equal_the_folder_path(torch_home, image_folders):
    files = sorted(image_folders[1].glob("*.png"))
    images = torch.stack([torch.from_numpy(np.array(Image.open(f))).permute(2, 0, 1) for f in files]).float() / 255
    extractor = InceptionFeatures(dims=64)
    from_tensors = frechet_distance(statistics_of_path(image_folders[0], extractor),
                                    gaussian_statistics(extractor.features(images, batch_size=5)))
    assert from_tensors == pytest.approx(fid_of_paths(*image_folders, dims=64), rel=1e-6)


def test_cached_statistics_are_computed_once(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return np.random.default_rng(0).normal(size=(20, 4))

    path = tmp_path / "real.npz"
    first = cached_statistics(path, compute)
    second = cached_statistics(path, compute)
    assert len(calls) == 1
    np.testing.assert_allclose(first["sigma"], second["sigma"])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left behind


def test_missing_weights_name_the_file_and_the_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    # An address that refuses connections stands in for "no network" (the network boundary).
    monkeypatch.setattr(pytorch_fid_inception, "FID_WEIGHTS_URL",
                        f"http://127.0.0.1:9/{defaults.FID_WEIGHTS_FILE}")
    with pytest.raises(FractalDreamError) as error:
        load_inception()
    message = str(error.value)
    assert defaults.FID_WEIGHTS_FILE in message
    assert str(tmp_path / "hub" / "checkpoints") in message
    assert "--fid-weights" in message and "\n" not in message


def test_fid_weights_option_reads_a_local_file(random_weights, image_folders, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # nothing cached here
    weights = random_weights / "hub" / "checkpoints" / defaults.FID_WEIGHTS_FILE
    with_option = ours_cli([*image_folders, "--dims", "64", "--fid-weights", weights])
    monkeypatch.setenv("TORCH_HOME", str(random_weights))
    assert with_option == pytest.approx(ours_cli([*image_folders, "--dims", "64"]), rel=1e-12)


@pytest.mark.parametrize(
    "args, expected",
    [
        (["missing_a", "missing_b"], "no such file or folder"),
        (["{a}", "{b}", "--dims", "100"], "--dims must be one of"),
        (["{a}", "{b}", "--fid-weights", "nowhere.pth"], "no such file"),
        (["{empty}", "{b}", "--dims", "64"], "at least 2 images"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(torch_home, image_folders, tmp_path, args, expected):
    (tmp_path / "empty").mkdir()
    names = {"a": image_folders[0], "b": image_folders[1], "empty": tmp_path / "empty"}
    result = CliRunner().invoke(main, ["metrics", "fid", *[a.format(**names) for a in args]])
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
