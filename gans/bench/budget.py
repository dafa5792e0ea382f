"""Training the bench's models within its budget: calibrate the steps that fit, reuse or extend finished runs.

Each model is trained once per training seed, one run folder each. The training time is split evenly
between these runs: a short throw-away run of each model measures images/s, then each of its seeds
trains for the number of steps that fits its share; ``--steps`` fixes it instead (the table records it).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from fractaldream.errors import FractalDreamError
from fractaldream.store import write_atomic
from gans.bench.settings import BenchSettings
from gans.training.config import TrainConfig, resolve
from gans.training.loop import train
from gans.training.monitor import LOG, LossLog
from gans.training.scan import run_name
from gans.training.state import run_state

#: A finished run this much shorter than the budget asks still counts (calibration varies from run to run).
REUSE_SHORTFALL = 0.2
#: Beside a bench run's checkpoint: its total training seconds, summed over the benches that extended it.
TRAIN_TIME = "bench_train_seconds.txt"


@dataclass
class TrainedModel:
    run_dir: Path
    steps: int
    train_s: float  # NaN for a reused run whose time was not recorded
    images_per_s: float


def run_seconds(settings: BenchSettings) -> float:
    """Each run's share of the training time: the profile's share of the budget, split evenly over models x seeds."""
    runs = len(settings.models) * len(settings.training_seeds)
    return settings.budget_minutes * 60 * settings.profile.get("train_share", 0) / runs


def run_dir(settings: BenchSettings, model: str, seed: int) -> Path:
    """``<runs>/<dataset>-<size>/<model>/seed=<k>[_<setting>=<value>...]``: the ``--set`` overrides are part of
    a run's identity, named as ``gans scan`` names its runs."""
    return (Path(settings.runs) / f"{settings.dataset}-{settings.image_size}" / model
            / run_name({"seed": seed, **dict(settings.overrides)}))


def train_config(settings: BenchSettings, model: str, seed: int, data: str | None, max_steps: int) -> TrainConfig:
    """The run of ``model`` with training seed ``seed``: the profile's batch size and the overrides, under
    the settings the bench decides itself (``BENCH_DECIDES`` keeps them out of the overrides)."""
    return TrainConfig(**{"batch_size": settings.profile["batch_size"], **dict(settings.overrides)},
                       model=model, dataset=settings.dataset, data=data, palette=settings.palette,
                       image_size=settings.image_size, max_steps=max_steps, seed=seed, device=settings.device,
                       out=str(run_dir(settings, model, seed)), progress=settings.progress, resume=True)


def last_speed(run_dir: Path) -> float:
    """Images/s of the last logged interval of a run."""
    rows = LossLog(Path(run_dir) / LOG).rows()
    return float(rows[-1]["images_per_s"]) if rows else 0.0


def budget_steps(settings: BenchSettings, model: str, data: str | None, seconds: float, log) -> int:
    """The steps of ``model`` that fit ``seconds``, at the speed of a short throw-away run (of its first seed)."""
    calibration_steps = settings.profile["calibration_steps"]
    calibration = train_config(settings, model, settings.training_seeds[0], data, calibration_steps)
    calibration.out = str(Path(calibration.out).with_name(f".calibration-{Path(calibration.out).name}"))
    shutil.rmtree(calibration.out, ignore_errors=True)
    speed = last_speed(train(calibration))
    shutil.rmtree(calibration.out, ignore_errors=True)
    steps = max(calibration_steps, int(seconds * speed / calibration.batch_size))
    log(f"{model}: {speed:.0f} images/s, {steps} steps fit the budget")
    return steps


def train_model(settings: BenchSettings, model: str, seed: int, data: str | None, steps: int, log) -> TrainedModel:
    """Train one model with one training seed for ``steps``.

    A finished run with the same settings is reused when it is long enough (within REUSE_SHORTFALL),
    and otherwise resumed up to the new length: it continues exactly, as if trained that long at once.
    """
    config = train_config(settings, model, seed, data, steps)
    run, state = Path(config.out), run_state(resolve(config))
    name = f"{model} seed={seed}"
    spent = run / TRAIN_TIME
    earlier = float(spent.read_text()) if state.completed and spent.exists() else float("nan")
    if state.completed and state.step >= (1 - REUSE_SHORTFALL) * steps:
        log(f"{name}: reusing the finished run of {state.step} steps")
        return TrainedModel(run, state.step, earlier, last_speed(run))
    if state.completed:
        log(f"{name}: extending the finished run of {state.step} steps to {steps}")
    start = time.perf_counter()
    train(config)
    total = (earlier if state.completed else 0.0) + time.perf_counter() - start
    write_atomic(spent, f"{total:.3f}\n".encode())
    return TrainedModel(run, steps, total, last_speed(run))


def train_models(settings: BenchSettings, data: str | None, seconds: float, log) -> dict:
    """Each model of the bench trained once per training seed for ``seconds`` each (:func:`train_model`):
    (model, seed) -> ``TrainedModel``, or the ``FractalDreamError`` that stopped it (e.g. a diverged run),
    so that the others are still benched. A model's seeds all train the steps calibrated once for it.

    With ``settings.scheduler`` each calibration, then each run, is a task on that dask.distributed cluster
    (``gans.training.cluster``).
    """
    if settings.scheduler is not None:
        settings = settings.replace(progress=False)
    if settings.training_steps:
        steps = dict.fromkeys(settings.models, settings.training_steps)
    else:
        steps = _run_calls(settings, {model: partial(budget_steps, settings, model, data, seconds)
                                      for model in settings.models}, log)
    runs = {f"{model}-seed-{seed}": (model, seed) for model in settings.models for seed in settings.training_seeds}
    calls = {name: partial(train_model, settings, model, seed, data, steps[model])
             for name, (model, seed) in runs.items() if not isinstance(steps[model], FractalDreamError)}
    trained = _run_calls(settings, calls, log)
    return {(model, seed): trained[name] if name in calls else steps[model]  # else: its calibration failed
            for name, (model, seed) in runs.items()}


def _run_calls(settings: BenchSettings, calls: dict, log) -> dict:
    """``calls[name](log)`` for each name, here one after the other or as tasks on ``settings.scheduler``'s
    cluster: name -> the call's result, or the ``FractalDreamError`` that stopped it."""
    if settings.scheduler is not None:
        from gans.training.cluster import run_tasks

        return run_tasks(settings.scheduler, calls, settings.device, log)
    results = {}
    for name, call in calls.items():
        try:
            results[name] = call(log)
        except FractalDreamError as error:
            results[name] = error
    return results
