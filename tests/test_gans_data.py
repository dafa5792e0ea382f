"""The data registry: FDD, folders, Kaggle layouts and absence, MNIST files, unreadable images, the decoded cache."""

import os
import struct

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

import gans.data.download
import gans.data.loading
from gans.datasets import DATASETS
from fractaldream.errors import FractalDreamError, UsageError
from gans.cli import main
from gans.data.loading import ImageFiles, load_data
from gans.training.loop import train
from gans_fixtures import fdd, tiny_config  # noqa: F401  (fixtures)


def _images(folder, n, size=40, start=0):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(start)
    for i in range(start, start + n):
        Image.fromarray(rng.integers(0, 256, (size, size + 8, 3), dtype=np.uint8)).save(folder / f"{i:04d}.jpg")
    return folder


def test_fractal_yields_images_and_normalised_parameters(fdd):
    data = load_data("fractal", fdd, image_size=32, progress=False)
    assert data.images.dtype == torch.uint8 and data.images.shape == (64, 3, 32, 32)
    assert data.targets.dtype == torch.float32 and data.targets.shape == (64, 6)
    assert data.targets.abs().max() <= 1 and data.targets.std() > 0.1
    assert data.info.factors == ("x0", "y0", "a", "b", "c", "d") and data.info.channels == 3
    assert data.images.float().std() > 1  # real pictures, not blanks


def test_folder_resizes_and_crops(tmp_path):
    data = load_data("folder", _images(tmp_path / "imgs", 5), image_size=32, progress=False)
    assert data.images.shape == (5, 3, 32, 32) and data.info.classes == 0
    with pytest.raises(UsageError, match="needs --data"):
        load_data("folder", None, progress=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no image files"):
        load_data("folder", tmp_path / "empty", progress=False)


def test_unreadable_images_are_skipped_with_their_path_or_fail_when_strict(tmp_path, capsys):
    folder = _images(tmp_path / "imgs", 4)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    good = folder / "0001.jpg"
    (folder / "truncated.jpg").write_bytes(good.read_bytes()[:200])
    data = load_data("folder", folder, image_size=32, progress=False)
    assert len(data.images) == 4 and sorted(data.skipped) == sorted([str(folder / "broken.png"),
                                                                     str(folder / "truncated.jpg")])
    err = capsys.readouterr().err
    assert "skipped 2 unreadable image(s)" in err and "broken.png" in err
    again = load_data("folder", folder, image_size=32, progress=False)  # from the cache: the same list, told again
    assert again.skipped == data.skipped and capsys.readouterr().err == err
    with pytest.raises(UsageError, match="unreadable image .*broken.png"):
        load_data("folder", folder, image_size=32, strict=True, progress=False)
    result = CliRunner().invoke(main, ["train", "--dataset", "folder", "--data", str(folder), "--strict",
                                       "--out", str(tmp_path / "run"), "--max-steps", "1", "--no-progress"])
    assert result.exit_code == 2 and "unreadable image" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("name", ["simpsons", "celeba"])
def test_absent_kaggle_set_names_the_set_the_id_and_the_command(tmp_path, monkeypatch, name):
    monkeypatch.setenv("GANS_DATA", str(tmp_path / "cache"))

    def no_network(name, out=None, client=None):  # the Kaggle API boundary, offline
        raise FractalDreamError("cannot reach kaggle.com")

    monkeypatch.setattr(gans.data.download, "download", no_network, raising=False)
    with pytest.raises(FractalDreamError) as error:
        load_data(name, progress=False)
    message = str(error.value)
    assert name in message and DATASETS[name].kaggle_id in message
    assert f"gans data download {name}" in message and "cannot reach kaggle.com" in message


def test_absent_set_without_a_downloader_is_the_same_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("GANS_DATA", str(tmp_path / "cache"))
    monkeypatch.delattr(gans.data.download, "download", raising=False)
    with pytest.raises(FractalDreamError, match="gans data download simpsons"):
        load_data("simpsons", progress=False)


def test_kaggle_layouts_in_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GANS_DATA", str(tmp_path / "cache"))
    _images(tmp_path / "cache" / "simpsons" / "cropped", 3)
    _images(tmp_path / "cache" / "simpsons" / "other", 2, start=10)  # not the study's faces
    assert len(load_data("simpsons", image_size=32, progress=False).images) == 3
    # torchvision's CelebA layout, and the Kaggle one nests the folder twice
    _images(tmp_path / "tv" / "celeba" / "img_align_celeba", 2)
    assert len(load_data("celeba", tmp_path / "tv", image_size=32, progress=False).images) == 2
    _images(tmp_path / "kg" / "img_align_celeba" / "img_align_celeba", 3)
    assert len(load_data("celeba", tmp_path / "kg", image_size=32, progress=False).images) == 3


def test_fractal_without_data_says_how_to_build_one(tmp_path, monkeypatch):
    monkeypatch.setenv("GANS_DATA", str(tmp_path / "cache"))
    with pytest.raises(FractalDreamError, match="fractaldream build"):
        load_data("fractal", progress=False)
    (tmp_path / "not-fdd").mkdir()
    with pytest.raises(FractalDreamError, match=r"not-fdd|params\.csv"):
        load_data("fractal", tmp_path / "not-fdd", progress=False)


def _write_idx(path, array, magic):
    with open(path, "wb") as handle:
        handle.write(struct.pack(">I", magic) + b"".join(struct.pack(">I", n) for n in array.shape))
        handle.write(array.astype(np.uint8).tobytes())


def _tiny_mnist(root, folder="MNIST", n=32):
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix in ("train", "t10k"):
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)), 2051)
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", np.arange(n) % 10, 2049)
    return root


@pytest.mark.parametrize("name,folder", [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")])
def test_mnist_sets_from_a_local_copy(tmp_path, name, folder):
    data = load_data(name, _tiny_mnist(tmp_path, folder), image_size=32, progress=False)
    assert data.images.shape == (32, 1, 32, 32) and data.info.classes == 10
    assert torch.equal(data.targets, torch.arange(32) % 10)
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match=f"{name}: no"):
        load_data(name, tmp_path / "empty", progress=False)


@pytest.mark.parametrize("model", ["cdcgan", "infogan"])
def test_class_conditioned_models_train_on_mnist(tmp_path, model):
    root = _tiny_mnist(tmp_path / "data")
    run_dir = train(tiny_config(root, tmp_path / "run", model=model, dataset="mnist", batch_size=8, max_steps=2))
    assert (run_dir / "grid.png").exists()


def _caches(root):
    return sorted(p.name for p in (root / "decoded").rglob("*") if p.is_file())


def test_decoded_cache_is_memory_mapped_reused_and_keyed_by_the_files(tmp_path, monkeypatch):
    monkeypatch.setenv("GANS_DATA", str(tmp_path / "cache"))
    folder = _images(tmp_path / "imgs", 5)
    data = load_data("folder", folder, image_size=32, progress=False)
    [npy] = (tmp_path / "cache" / "decoded" / "folder").glob("*.npy")
    assert torch.equal(torch.from_numpy(np.load(npy)), data.images) and data.images.shape == (5, 3, 32, 32)
    data.images[0] = 0  # copy-on-write: the cache file keeps its pixels
    assert np.load(npy)[0].any()

    def no_decoding(*args):
        raise AssertionError("decoded again")

    with monkeypatch.context() as patched:
        patched.setattr(gans.data.loading, "_decode", no_decoding)
        reused = load_data("folder", folder, image_size=32, progress=False)
    assert torch.equal(reused.images, torch.from_numpy(np.load(npy)))
    Image.new("RGB", (40, 48), "white").save(folder / "0002.jpg")  # an edited file: a new key, decoded afresh
    os.utime(folder / "0002.jpg", ns=(0, 0))
    changed = load_data("folder", folder, image_size=32, progress=False)
    assert torch.all(changed.images[2] == 255) and len(list(npy.parent.glob("*.npy"))) == 2
    load_data("folder", folder, image_size=64, progress=False)  # another size: another cache
    assert len(_caches(tmp_path / "cache")) == 6  # images and targets of each; no temporary files


def test_interrupted_decode_leaves_no_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GANS_DATA", str(tmp_path / "cache"))
    folder = _images(tmp_path / "imgs", 6)
    (folder / "0003.jpg").write_bytes(b"not an image")
    with pytest.raises(UsageError, match="unreadable image"):
        load_data("folder", folder, image_size=32, strict=True, progress=False)
    assert _caches(tmp_path / "cache") == []
    decode = ImageFiles.__getitem__

    def interrupted(self, index):
        if index == 4:
            raise KeyboardInterrupt
        return decode(self, index)

    monkeypatch.setattr(ImageFiles, "__getitem__", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load_data("folder", folder, image_size=32, progress=False)
    assert _caches(tmp_path / "cache") == []


def test_hsv_needs_colour_images(tmp_path):
    root = _tiny_mnist(tmp_path / "data")
    with pytest.raises(UsageError, match="--color-space hsv needs colour images"):
        train(tiny_config(root, tmp_path / "run", dataset="mnist", batch_size=8, color_space="hsv"))
