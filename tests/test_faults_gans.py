"""Faults a hostile user meets in gans (issue 14): nothing lost, nothing corrupted, never a traceback."""

import builtins
import errno
import os
import socket
import struct
import subprocess
import sys
import time
import zipfile
import zlib

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

import fractaldream.store
import gans.data.decoded
from fractaldream.build import build_dataset
from fractaldream.errors import FractalDreamError, UsageError
from fractaldream.settings import BuildSettings
from gans.cli import main
from gans.data import download as fetch
from gans.data.loading import load_data
from gans.training.checkpoint import CHECKPOINT, load_checkpoint
from gans.training.loop import train
from gans.training.runs import load_run
from gans_fixtures import fdd, tiny_config  # noqa: F401  (fixtures)
from test_download import FakeKaggle, expect_images, files_under


def _cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output


def _one_line(output: str) -> bool:
    return output.count("\n") == 1 and "Traceback" not in output


@pytest.fixture(scope="module")
def tiny_run(fdd, tmp_path_factory):
    """A finished two-step run (read-only: copy its checkpoint before changing it)."""
    return train(tiny_config(fdd, tmp_path_factory.mktemp("tiny_run") / "run", max_steps=2))


# -- 1. one writer per run folder ---------------------------------------------------------------
def test_a_second_train_into_the_same_out_is_refused_at_once(fdd, tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "gans", "train", "--data", str(fdd), "--image-size", "32", "--batch-size", "16",
               "--width", "8", "--max-steps", "100000", "--log-every", "1", "--device", "cpu", "--out", str(out),
               "--no-progress"]
    # Started together, so that the test waits for one start-up, not two: whichever locks the folder first trains.
    runs = [subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        deadline = time.monotonic() + 180
        while all(run.poll() is None for run in runs) and time.monotonic() < deadline:
            time.sleep(0.1)
        [refused] = [run for run in runs if run.poll() is not None]
        [training] = [run for run in runs if run is not refused]
        assert training.poll() is None  # refused while the other trained
        log = out / "log.csv"
        while not (log.exists() and log.read_text().count("\n") > 3) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        for run in runs:
            run.kill()
            run.wait()
    message = refused.stderr.read()
    assert refused.returncode == 2 and _one_line(message), message
    assert f"{out} is being written by" in message and "choose another folder" in message
    steps = [line.split(",")[0] for line in (out / "log.csv").read_text().splitlines()[1:]]
    assert steps and len(steps) == len(set(steps))  # one writer: every step logged once


# -- 2. resume only on the very data the run trained on ----------------------------------------
def _build(folder, seed):
    build_dataset(folder, 32, BuildSettings(size=32, points=20_000, palettes=("blue",), min_coverage=0.05, seed=seed),
                  workers=1, progress=False)


def test_resume_refuses_a_data_set_rebuilt_with_another_seed(tmp_path):
    data = tmp_path / "fdd"
    _build(data, seed=0)
    train(tiny_config(data, tmp_path / "run", max_steps=1))
    _build(data.with_name("fdd-again"), seed=0)
    os.rename(data, tmp_path / "first")
    os.rename(data.with_name("fdd-again"), data)  # rebuilt, same seed: new files, the same images and targets
    train(tiny_config(data, tmp_path / "run", max_steps=2, resume=True))
    os.rename(data, tmp_path / "second")
    _build(data, seed=1)  # as many images, other ones
    with pytest.raises(UsageError, match=r"cannot resume .*the data set has changed \(as many images, 32, but other"):
        train(tiny_config(data, tmp_path / "run", max_steps=3, resume=True))
    assert load_checkpoint(tmp_path / "run")["step"] == 2


def test_a_checkpoint_without_a_fingerprint_still_loads_for_sampling(tiny_run, tmp_path):
    saved = load_checkpoint(tiny_run)
    assert len(saved.pop("data_fingerprint")) == 64
    (tmp_path / "old").mkdir()
    torch.save(saved, tmp_path / "old" / CHECKPOINT)
    run = load_run(tmp_path / "old")
    assert run.generate(run.sample_latent(2)).shape == (2, 3, 32, 32)


# -- 3. temporary files of a killed decode ---------------------------------------------------
def test_the_temporary_files_of_killed_decodes_are_removed_by_the_next_run(tmp_path, monkeypatch):
    monkeypatch.setenv("GANS_DATA", str(tmp_path / "cache"))
    folder = tmp_path / "imgs"
    folder.mkdir()
    for k in range(3):
        Image.new("RGB", (40, 40), (80 * k, 0, 0)).save(folder / f"{k}.png")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # reaped: its pid names no process
    host, key = socket.gethostname(), "ab12"
    decoded = tmp_path / "cache" / "decoded" / "other-set"
    decoded.mkdir(parents=True)
    stale = [f".{key}.npy.{host}.{dead.pid}.tmp", f".{key}.npy.{host}.{dead.pid}.npz.tmp", f".{key}.npy.{dead.pid}.tmp"]
    kept = [f".{key}.npy.{host}.{os.getpid()}.tmp", f".{key}.npy.elsewhere.{dead.pid}.tmp", "notes.txt"]
    for name in stale + kept:
        (decoded / name).write_bytes(b"partial")
    load_data("folder", folder, image_size=32, progress=False)
    assert sorted(p.name for p in decoded.iterdir()) == sorted(kept)


# -- 4. zip bombs and clashing names ---------------------------------------------------------
def _deflated_zip(path, entries):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return path


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.parametrize("entries, reason", [
    ([("cropped/1.png", b"ok"), ("cropped/bomb.png", bytes(20_000_000))],
     r"cropped/bomb.png would grow from [0-9.]+ kB to 20.0 MB \(more than 100-fold: a zip bomb\)"),
    ([(f"cropped/{k}.png", bytes(900_000)) for k in range(30)],
     r"its [0-9.]+ kB would unpack to 27.0 MB \(more than 100-fold: a zip bomb\)"),
    ([("cropped/1.png", b"one"), ("cropped/1.png", b"two")],
     r"1 entry name\(s\) appear more than once, e.g. cropped/1.png"),
    ([("cropped/a", b"file"), ("cropped/a/1.png", b"ok")], r"cropped/a is both a file and a folder"),
    ([("cropped/a/", b""), ("cropped/a", b"file")], r"cropped/a is both a file and a folder"),
], ids=["entry-bomb", "archive-bomb", "duplicate", "file-and-folder", "folder-and-file"])
def test_bombs_and_clashing_names_are_refused_before_anything_is_written(tmp_path, entries, reason):
    archive = _deflated_zip(tmp_path / "bad.zip", entries)
    target = tmp_path / "target"
    before = files_under(tmp_path)
    with pytest.raises(FractalDreamError, match=f"refusing to unpack .*bad.zip: {reason}$"):
        fetch.safe_extract(archive, target, progress=False)
    assert files_under(tmp_path) == before


def test_an_archive_larger_than_its_data_set_can_be_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("GANS_DATA", str(tmp_path / "cache"))
    expect_images(monkeypatch, "simpsons", 2)  # at most 2 * 1.05 MiB
    noise = np.random.default_rng(0).bytes(1_000_000)  # incompressible: not a bomb, only too large
    archive = _deflated_zip(tmp_path / "s.zip", [(f"cropped/{k}.png", noise) for k in range(3)])
    with pytest.raises(FractalDreamError, match=r"would unpack to 3.0 MB, more than the 2.2 MB its data set can take"):
        fetch.download("simpsons", client=FakeKaggle(archive))
    assert not (tmp_path / "cache" / "simpsons").exists()
    assert not (tmp_path / "cache" / ".simpsons.download" / "unpacked").exists()


def test_the_real_data_sets_fit_their_limit():
    assert fetch.size_limit("simpsons") > 9_877 * 2 * 200 * 200 * 3  # two copies of 200x200 crops, uncompressed
    assert fetch.size_limit("celeba") > 202_599 * 178 * 218 * 3  # the aligned faces, uncompressed


# -- 5. one line, never a traceback ------------------------------------------------------------
@pytest.mark.parametrize("args, message", [
    (["--lr-g", "nan"], "--lr-g must be a finite number > 0, not nan"),
    (["--lr-g", "-1"], "--lr-g must be a finite number > 0, not -1.0"),
    (["--lr-d", "inf"], "--lr-d must be a finite number > 0, not inf"),
    (["--betas", "2", "2"], "--betas needs B1 B2, each in [0, 1), not 2.0 2.0"),
    (["--bn-eps", "-1"], "--bn-eps must be a finite number > 0, not -1.0"),
    (["--leaky-slope", "nan"], "--leaky-slope must be a number in [0, 1], not nan"),
    (["--instance-noise", "-0.5"], "--instance-noise must be a finite number >= 0, not -0.5"),
    (["--seed", "-1"], "--seed must be a whole number in [0, 4294967295], not -1"),
    (["--workers", "-2"], "--workers must be a whole number >= 0, not -2"),
])
def test_every_numeric_training_setting_is_checked(fdd, tmp_path, args, message):
    code, output = _cli("train", "--data", fdd, "--out", tmp_path / "run", "--max-steps", 1, *args)
    assert code == 2 and message in output and _one_line(output), output
    assert not (tmp_path / "run").exists()


def test_divergence_stops_the_run_at_the_issues_learning_rates(fdd, tmp_path):
    code, output = _cli("train", "--data", fdd, "--image-size", 32, "--batch-size", 16, "--width", 8, "--max-steps", 8,
                        "--log-every", 1, "--lr-g", "1e6", "--lr-d", "1e6", "--out", tmp_path / "run", "--no-progress")
    assert code == 1 and _one_line(output), output
    assert "diverged: a weight of" in output and "by step 1;" in output and "no checkpoint was written" in output
    assert not (tmp_path / "run" / CHECKPOINT).exists()


def test_diverging_weights_stop_the_run_though_the_losses_look_sane(fdd, tmp_path):
    # A huge step for G alone: its weights explode while batch norm keeps every loss near log 2.
    with pytest.raises(FractalDreamError, match=r"diverged: a weight of .*, beyond \+-1e\+04 .* by step 1;"):
        train(tiny_config(fdd, tmp_path / "run", max_steps=8, lr_g=2e5, lr_d=2e-4))


def test_a_diverging_loss_keeps_the_last_good_checkpoint(fdd, tmp_path):
    # The MLP GAN with instance noise that grows from 1e-30 to 1e10 in the second epoch (4 steps an epoch).
    config = tiny_config(fdd, tmp_path / "run", model="gan", max_steps=8, instance_noise=1e-30,
                         instance_noise_decay=1e40, instance_noise_on="both")
    with pytest.raises(FractalDreamError, match=r"diverged: loss_d=.* by step 5; .*last good checkpoint \(step 4\)"):
        train(config)
    saved = load_checkpoint(tmp_path / "run")
    assert saved["step"] == 4 and not saved["finished"]


def _checkpoint(tmp_path, saved):
    (tmp_path / "edited").mkdir()
    torch.save(saved, tmp_path / "edited" / CHECKPOINT)
    return tmp_path / "edited"


def test_a_checkpoint_of_the_wrong_structure_is_one_line(tiny_run, tmp_path):
    code, output = _cli("sample", _checkpoint(tmp_path, {"a": 1}), "--out", tmp_path / "x.png")
    assert code == 1 and _one_line(output), output
    assert "not a gans training checkpoint (config, data_info, n_images, step, finished, model missing" in output


def test_weights_of_another_shape_are_one_line(tiny_run, tmp_path):
    saved = load_checkpoint(tiny_run)
    saved["model"]["generator.main.0.weight"] = torch.zeros(3, 3)
    del saved["model"]["discriminator.features.0.weight"]
    code, output = _cli("sample", _checkpoint(tmp_path, saved), "--out", tmp_path / "x.png")
    assert code == 1 and _one_line(output), output
    assert ("does not fit the model its settings describe: weights 1 missing (e.g. discriminator.features.0.weight); "
            "1 of another shape (e.g. generator.main.0.weight)") in output


def test_optimizer_states_that_do_not_fit_are_one_line(fdd, tiny_run, tmp_path):
    saved = load_checkpoint(tiny_run)
    saved["finished"] = False
    del saved["optimizers"]["d"]
    run = _checkpoint(tmp_path, saved)
    code, output = _cli("train", "--data", fdd, "--image-size", 32, "--batch-size", 16, "--width", 8,
                        "--max-steps", 2, "--grid-size", 16, "--log-every", 1, "--resume", "--out", run,
                        "--no-progress")
    assert code == 1 and _one_line(output) and "cannot be resumed: it has no state for 'd'" in output, output


@pytest.mark.parametrize("damage, reason", [
    (lambda good: b"not a checkpoint" * 200,
     "it is damaged, or holds objects other than tensors and plain values, which are not loaded because loading them "
     "could run code"),
    (lambda good: good[:5000], "it is damaged or truncated ("),
])
def test_a_garbage_checkpoint_is_one_complete_line(tiny_run, tmp_path, damage, reason):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / CHECKPOINT).write_bytes(damage((tiny_run / CHECKPOINT).read_bytes()))
    code, output = _cli("sample", tmp_path / "bad", "--out", tmp_path / "x.png")
    assert code == 1 and _one_line(output) and reason in output, output
    assert output.rstrip().endswith(("code", ")")) and "weights_only" not in output


def _png_header_only(path, width, height):
    """A PNG whose header claims ``width`` x ``height`` (PIL checks the size on opening, before any pixel)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))
    return path


def test_a_decompression_bomb_in_a_folder_is_skipped_like_any_unreadable_image(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GANS_DATA", str(tmp_path / "cache"))
    folder = tmp_path / "imgs"
    folder.mkdir()
    for k in range(3):
        Image.new("RGB", (40, 40), (0, 80 * k, 0)).save(folder / f"{k}.png")
    bomb = _png_header_only(folder / "bomb.png", 20_000, 20_000)
    data = load_data("folder", folder, image_size=32, progress=False)
    assert len(data.images) == 3 and data.skipped == [str(bomb)]
    assert f"skipped 1 unreadable image(s): {bomb}" in capsys.readouterr().err


def test_sample_and_interpolate_write_what_the_extension_says(tiny_run, tmp_path):
    for name, image_format in (("s.jpg", "JPEG"), ("s.jpeg", "JPEG"), ("s.png", "PNG")):
        code, output = _cli("sample", tiny_run, "--n", 4, "--out", tmp_path / name)
        assert code == 0, output
        with Image.open(tmp_path / name) as image:
            assert image.format == image_format
    for name, image_format in (("a.png", "PNG"), ("a.gif", "GIF")):
        code, output = _cli("interpolate", tiny_run, "--steps", 2, "--n", 2, "--out", tmp_path / name)
        assert code == 0, output
        with Image.open(tmp_path / name) as image:
            assert image.format == image_format and image.n_frames == 3
    for command, name in (("sample", "s.gif"), ("sample", "s.txt"), ("interpolate", "a.jpg"), ("interpolate", "a")):
        code, output = _cli(command, tiny_run, "--out", tmp_path / name)
        assert code == 2 and _one_line(output) and "cannot write" in output, output
        assert not (tmp_path / name).exists()


@pytest.mark.parametrize("command", ["sample", "interpolate"])
def test_an_output_folder_that_does_not_exist_is_one_line(tiny_run, tmp_path, command):
    code, output = _cli(command, tiny_run, "--out", tmp_path / "missing" / "dir" / "x.png")
    assert code == 2 and _one_line(output), output
    assert f"the folder {tmp_path / 'missing' / 'dir'} does not exist" in output and ".tmp" not in output


class _FullDisk:
    """A file whose writes stop with ENOSPC after a few bytes really written."""

    def __init__(self, handle):
        self.handle = handle

    def write(self, data):
        self.handle.write(bytes(data)[:10])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()


def _failing_open(code):
    """``open`` where writing fails with ``code``: on the first write (ENOSPC), or at once (EROFS, ENOENT)."""
    def fake_open(path, mode="r", *args, **kwargs):
        if "w" not in mode:
            return builtins.open(path, mode, *args, **kwargs)
        if code == errno.ENOSPC:
            return _FullDisk(builtins.open(path, mode, *args, **kwargs))
        raise OSError(code, os.strerror(code), str(path))

    return fake_open


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.ENOENT], ids=["ENOSPC", "EROFS", "ENOENT"])
def test_sample_on_a_failing_disk_is_one_line_and_keeps_the_old_file(tiny_run, tmp_path, monkeypatch, code):
    out = tmp_path / "grid.png"
    out.write_bytes(b"the previous grid")
    monkeypatch.setattr(fractaldream.store, "open", _failing_open(code), raising=False)
    exit_code, output = _cli("sample", tiny_run, "--out", out)
    assert exit_code == 1 and _one_line(output), output
    assert f"cannot write {out}: {os.strerror(code)}" in output
    assert out.read_bytes() == b"the previous grid" and sorted(tmp_path.iterdir()) == [out]


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.ENOENT], ids=["ENOSPC", "EROFS", "ENOENT"])
def test_the_decoded_cache_on_a_failing_disk_is_one_line_and_leaves_nothing(tmp_path, monkeypatch, code):
    monkeypatch.setenv("GANS_DATA", str(tmp_path / "cache"))
    folder = tmp_path / "imgs"
    folder.mkdir()
    Image.new("RGB", (40, 40), "red").save(folder / "0.png")
    with monkeypatch.context() as patched:
        patched.setattr(gans.data.decoded, "open", _failing_open(code), raising=False)
        with pytest.raises(FractalDreamError, match=rf"folder: cannot write the decoded images to .*decoded.folder "
                                                    rf"\({os.strerror(code)}\); free space there, or set GANS_DATA"):
            load_data("folder", folder, image_size=32, progress=False)
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert len(load_data("folder", folder, image_size=32, progress=False).images) == 1  # space freed: it works


_CODES = np.random.default_rng(0).normal(size=(50, 3))


@pytest.mark.parametrize("codes, factors, message", [
    (np.full((50, 3), "a"), _CODES[:, :2], "codes must be an array of numbers, not of <U1"),
    (_CODES, _CODES.astype(str), "factors must be an array of numbers, not of <U"),
    (np.zeros((50, 0)), _CODES, "codes and factors need at least one column each, got shapes (50, 0) and (50, 3)"),
    (_CODES, np.zeros((50, 0)), "need at least one column each"),
    (_CODES * 1e300, _CODES, "codes and factors must lie within +-1e+12"),
    (_CODES, np.c_[_CODES[:, 0], np.full(50, 5.0)], "factor column 1 is constant: how well codes predict it (R^2) is "
                                                    "undefined"),
], ids=["strings", "numeric-strings", "no-code-columns", "no-factor-columns", "1e300", "constant-factor"])
def test_correspondence_refuses_what_it_cannot_score(tmp_path, codes, factors, message):
    np.save(tmp_path / "z.npy", codes)
    np.save(tmp_path / "v.npy", factors)
    code, output = _cli("metrics", "correspondence", tmp_path / "z.npy", tmp_path / "v.npy")
    assert code == 2 and _one_line(output) and message in output, output


# -- 6. scans without progress bars ------------------------------------------------------------
def test_scan_without_progress_prints_no_bars(fdd, tmp_path):
    code, output = _cli("scan", "--data", fdd, "--image-size", 32, "--batch-size", 16, "--width", 8, "--max-steps", 1,
                        "--device", "cpu", "--out", tmp_path / "scan", "--grid", "lr-g=1e-3", "--no-progress")
    assert code == 0, output
    assert "lr-g=0.001" in output and "%|" not in output and "img/s" not in output
