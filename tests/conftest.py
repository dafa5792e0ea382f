"""Session fixtures: one tiny Fractal Dream Dataset built for real, shared by the test files."""

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
