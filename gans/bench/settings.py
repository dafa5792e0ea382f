"""The bench's settings: one dataclass from which ``gans bench``'s flags and the command that
reproduces a bench are both generated, the sizes of every evaluation per profile, and the reading
of ``--seeds`` and ``--set`` (the one flag written by hand: it repeats)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import shlex

from fractaldream.commandline import command_line, setting
from fractaldream.errors import UsageError
from gans.datasets import benchmarked
from gans.models import MODELS
from gans.training.config import OPERATIONAL, STOPPING, parse_setting

#: Sizes of every evaluation, per profile; ``quick`` is a smoke test of a few minutes on 2 CPU cores.
#: ``n_codes`` real images get codes (MIG, SAP and DCI need 10,000 to be worth reading; the probes'
#: held-out 30% is then 3,000); ``n_direct`` held-out vectors v, fresh from the stream, get G(v);
#: intervals are bootstrap intervals, ``*_resamples`` resamples each (DCI refits its forests each time).
PROFILES = {
    "default": dict(
        batch_size=64, calibration_steps=20, train_share=0.5, ceiling_attractors=None,
        n_generated=2000, n_codes=10_000, n_inversion=1000, inversion_steps=100, inversion_restarts=3,
        encoder_max_steps=5000, encoder_check_every=100, encoder_validation=1024, n_direct=2000, paths=4, path_steps=12, n_real_fid=2000,
        mig_resamples=100, dci_resamples=10,
    ),
    "quick": dict(
        batch_size=16, calibration_steps=0, steps=6, ceiling_attractors=600,
        n_generated=64, n_codes=48, n_inversion=16, inversion_steps=5, inversion_restarts=2,
        encoder_max_steps=20, encoder_check_every=10, encoder_validation=64, n_direct=24, paths=2, path_steps=4, n_real_fid=64,
        mig_resamples=5, dci_resamples=2, fdd_n=96, fdd_points=20_000,
    ),
}


@dataclass(frozen=True)
class BenchSettings:
    dataset: str = setting("fractal", "The data set.", choices=tuple(benchmarked()))
    data: str | None = setting(
        None, "Local copy of the data set (default: its cache folder; --quick on fractal builds a tiny FDD).")
    models: tuple[str, ...] = setting(MODELS, "The models.", choices=MODELS)
    image_size: int = setting(32, "Image side.", choices=(32, 64, 128))
    budget_minutes: float = setting(
        25.0, "Wall-clock budget; about half of it trains the models, split evenly over models x training seeds.")
    steps: int | None = setting(None, "Training steps per model (skips calibration).")
    quick: bool = setting(False, "Smoke test: tiny data, a few steps, small evaluations.")
    palette: str | None = setting(None, "fractal: one palette of the build.")
    out: str = setting("results", "Where the tables and figures go.")
    runs: str = setting("runs/bench", "Where the model runs are trained (and reused from).")
    device: str = setting("cpu", "cpu, cuda or auto.")
    seed: int = setting(0, "Seeds the evaluation (held-out data, ceiling, samples, resampling), and training "
                           "unless --seeds is given.")
    seeds: tuple[int, ...] | None = setting(
        None, "Training seeds, e.g. 0,1,2: each model is trained once per seed, and each score of the table is the "
        "mean over the seeds with a 95% t-interval across them (default: --seed alone).")
    overrides: tuple[tuple[str, object], ...] = setting(
        (), "A training setting for every model, as `gans scan --grid` writes one value (e.g. lsd-weight=100); "
        "repeatable. Part of each run folder's name, so a run is never reused under other settings.", flag=False)
    fid_weights: str | None = setting(
        None, "A local copy of pt_inception-2015-12-05-6726825d.pth (default: torch.hub's cache).")
    progress: bool = setting(True, "Show progress bars.")
    scheduler: str | None = setting(
        None, "Train each run (model x seed) as a task on the dask.distributed cluster at this address "
        "(e.g. tcp://host:8786); its workers need this package and the data and --runs at the same paths. Evaluation stays here.")

    @property
    def profile(self) -> dict:
        return PROFILES["quick" if self.quick else "default"]

    @property
    def training_seeds(self) -> tuple[int, ...]:
        return self.seeds if self.seeds is not None else (self.seed,)

    @property
    def training_steps(self) -> int | None:
        """``steps``, or the profile's fixed number of steps, or None: calibrate on the budget."""
        return self.steps or self.profile.get("steps")

    def replace(self, **changes) -> "BenchSettings":
        return dataclasses.replace(self, **changes)

    def command(self) -> str:
        """The command line that reproduces this bench (the steps included, so calibration is not redone)."""
        from gans.training.scan import run_name  # torch: not for `gans bench --help`

        line = command_line("gans bench", self.replace(steps=self.training_steps, progress=True),
                            always=("dataset", "models", "image_size", "budget_minutes", "seed", "out", "runs"))
        return " ".join([line, *(f"--set {shlex.quote(run_name({name: value}))}" for name, value in self.overrides)])


#: Training settings the bench decides itself (its own flags, or the run's length and folder): not for --set.
BENCH_DECIDES = ("model", "dataset", "data", "palette", "image_size", "seed") + STOPPING + OPERATIONAL


def parse_overrides(items) -> tuple[tuple[str, object], ...]:
    """``("lsd-weight=100", ...)`` -> ``(("lsd_weight", 100.0), ...)`` sorted by name, each value parsed as
    ``gans scan --grid`` parses its values."""
    overrides = {}
    for item in items:
        key, sep, text = item.partition("=")
        name = key.strip().replace("-", "_")
        if not sep or not name or not text:
            raise UsageError(f"bad --set {item!r} (expected KEY=VALUE, e.g. lsd-weight=100)")
        if name in BENCH_DECIDES:
            raise UsageError(f"--set {key}: the bench sets it itself (see its own flags, e.g. --seeds, --image-size)")
        if name in overrides:
            raise UsageError(f"--set {key} is given twice")
        overrides[name] = parse_setting(name, text)
    return tuple(sorted(overrides.items()))


def parse_seeds(items) -> tuple[int, ...] | None:
    """``--seeds`` as the command line gives it (texts) -> whole numbers."""
    if items is None:
        return None
    try:
        return tuple(int(item) for item in items)
    except ValueError:
        raise UsageError(f"--seeds takes whole numbers, e.g. 0,1,2, not {','.join(items)!r}") from None
