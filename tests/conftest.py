"""Shared fixtures: one tiny Fractal Dream Dataset built for real, a private gans cache, a small real disk."""

import subprocess

import pytest


@pytest.fixture(scope="session")
def tiny_fdd(tmp_path_factory):
    """A real build: 64 attractors, 32x32, 20,000 points each, palette blue. Treat it as read-only."""
    from fractaldream.build import build_dataset
    from fractaldream.settings import BuildSettings

    out = tmp_path_factory.mktemp("tiny_fdd")
    build_dataset(out, 64, BuildSettings(size=32, points=20_000, palettes=("blue",), min_coverage=0.05), workers=1,
                  progress=False)
    return out


@pytest.fixture(autouse=True, scope="session")
def private_gans_cache(tmp_path_factory):
    """Caches (decoded images, regressors, statistics) go to a temporary folder, never to ~/.cache."""
    patch = pytest.MonkeyPatch()
    patch.setenv("GANS_DATA", str(tmp_path_factory.mktemp("gans_data")))
    yield
    patch.undo()


@pytest.fixture
def small_disk(tmp_path):
    """A real 64 KiB tmpfs (root only; skipped elsewhere): room for a few small images (each file takes a 4 KiB
    page), not for a checkpoint."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here (root only): {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)
