"""The bench's settings: one dataclass from which ``gans bench``'s flags and the command that
reproduces a bench are both generated, and the sizes of every evaluation per profile."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from fractaldream.commandline import command_line, setting
from gans.datasets import benchmarked
from gans.models import MODELS

#: Sizes of every evaluation, per profile; ``quick`` is a smoke test of a few minutes on 2 CPU cores.
PROFILES = {
    "default": dict(
        batch_size=64, calibration_steps=20, train_share=0.5, regressor_images=60_000,
        n_generated=2000, n_codes=1000, n_inversion=128, inversion_steps=100, encoder_steps=200,
        n_direct=500, paths=4, path_steps=12, n_real_fid=2000,
    ),
    "quick": dict(
        batch_size=16, calibration_steps=0, steps=6, regressor_images=200,
        n_generated=64, n_codes=48, n_inversion=16, inversion_steps=5, encoder_steps=10,
        n_direct=24, paths=2, path_steps=4, n_real_fid=64,
        fdd_n=96, fdd_points=20_000,
    ),
}


@dataclass(frozen=True)
class BenchSettings:
    dataset: str = setting("fractal", "The data set.", choices=tuple(benchmarked()))
    data: str | None = setting(
        None, "Local copy of the data set (default: its cache folder; --quick on fractal builds a tiny FDD).")
    models: tuple[str, ...] = setting(MODELS, "The models.", choices=MODELS)
    image_size: int = setting(32, "Image side.", choices=(32, 64, 128))
    budget_minutes: float = setting(25.0, "Wall-clock budget; about half of it trains the models, shared evenly.")
    steps: int | None = setting(None, "Training steps per model (skips calibration).")
    quick: bool = setting(False, "Smoke test: tiny data, a few steps, small evaluations.")
    palette: str | None = setting(None, "fractal: one palette of the build.")
    out: str = setting("results", "Where the tables and figures go.")
    runs: str = setting("runs/bench", "Where the model runs are trained (and reused from).")
    device: str = setting("cpu", "cpu, cuda or auto.")
    seed: int = setting(0)
    fid_weights: str | None = setting(
        None, "A local copy of pt_inception-2015-12-05-6726825d.pth (default: torch.hub's cache).")
    progress: bool = setting(True, "Show progress bars.")
    scheduler: str | None = setting(
        None, "Train each model as a task on the dask.distributed cluster at this address (e.g. tcp://host:8786); "
        "its workers need this package and the data and --runs at the same paths. Evaluation stays here.")

    @property
    def profile(self) -> dict:
        return PROFILES["quick" if self.quick else "default"]

    @property
    def training_steps(self) -> int | None:
        """``steps``, or the profile's fixed number of steps, or None: calibrate on the budget."""
        return self.steps or self.profile.get("steps")

    def replace(self, **changes) -> "BenchSettings":
        return dataclasses.replace(self, **changes)

    def command(self) -> str:
        """The command line that reproduces this bench (the steps included, so calibration is not redone)."""
        return command_line("gans bench", self.replace(steps=self.training_steps, progress=True),
                            always=("dataset", "models", "image_size", "budget_minutes", "seed", "out", "runs"))
