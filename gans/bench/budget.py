"""Training the bench's models within its budget: calibrate the steps that fit, reuse or extend finished runs.

Training time is split evenly between the models: a short throw-away run measures images/s, then the
model trains for the number of steps that fits; ``--steps`` fixes it instead (the table records it).
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


def train_config(settings: BenchSettings, model: str, data: str | None, max_steps: int) -> TrainConfig:
    return TrainConfig(model=model, dataset=settings.dataset, data=data, palette=settings.palette,
                       image_size=settings.image_size, batch_size=settings.profile["batch_size"], max_steps=max_steps,
                       seed=settings.seed, device=settings.device,
                       out=str(Path(settings.runs) / f"{settings.dataset}-{settings.image_size}" / model),
                       progress=settings.progress, resume=True)


def last_speed(run_dir: Path) -> float:
    """Images/s of the last logged interval of a run."""
    rows = LossLog(Path(run_dir) / LOG).rows()
    return float(rows[-1]["images_per_s"]) if rows else 0.0


def budget_steps(settings: BenchSettings, model: str, data: str | None, seconds: float, log) -> int:
    """The settings' fixed steps, or the steps that fit ``seconds`` at the speed of a short throw-away run."""
    if settings.training_steps:
        return settings.training_steps
    calibration_steps = settings.profile["calibration_steps"]
    calibration = train_config(settings, model, data, calibration_steps)
    calibration.out = str(Path(calibration.out).with_name(f".calibration-{model}"))
    shutil.rmtree(calibration.out, ignore_errors=True)
    speed = last_speed(train(calibration))
    shutil.rmtree(calibration.out, ignore_errors=True)
    steps = max(calibration_steps, int(seconds * speed / settings.profile["batch_size"]))
    log(f"{model}: {speed:.0f} images/s, {steps} steps fit the budget")
    return steps


def train_model(settings: BenchSettings, model: str, data: str | None, seconds: float, log) -> TrainedModel:
    """Train one model for the budget's steps.

    A finished run with the same settings is reused when it is long enough (within REUSE_SHORTFALL),
    and otherwise resumed up to the new length: it continues exactly, as if trained that long at once.
    """
    steps = budget_steps(settings, model, data, seconds, log)
    config = train_config(settings, model, data, steps)
    run_dir, state = Path(config.out), run_state(resolve(config))
    spent = run_dir / TRAIN_TIME
    earlier = float(spent.read_text()) if state.completed and spent.exists() else float("nan")
    if state.completed and state.step >= (1 - REUSE_SHORTFALL) * steps:
        log(f"{model}: reusing the finished run of {state.step} steps")
        return TrainedModel(run_dir, state.step, earlier, last_speed(run_dir))
    if state.completed:
        log(f"{model}: extending the finished run of {state.step} steps to {steps}")
    start = time.perf_counter()
    train(config)
    total = (earlier if state.completed else 0.0) + time.perf_counter() - start
    write_atomic(spent, f"{total:.3f}\n".encode())
    return TrainedModel(run_dir, steps, total, last_speed(run_dir))


def train_models(settings: BenchSettings, data: str | None, seconds: float, log) -> dict:
    """Each model of the bench trained for ``seconds`` (:func:`train_model`): model -> ``TrainedModel``, or
    the ``FractalDreamError`` that stopped it (e.g. a diverged run), so that the others are still benched.

    With ``settings.scheduler`` each model is a task on that dask.distributed cluster (``gans.training.cluster``).
    """
    if settings.scheduler is not None:
        from gans.training.cluster import run_tasks

        quiet = settings.replace(progress=False)
        calls = {model: partial(train_model, quiet, model, data, seconds) for model in settings.models}
        return run_tasks(settings.scheduler, calls, settings.device, log)
    trained = {}
    for model in settings.models:
        try:
            trained[model] = train_model(settings, model, data, seconds, log)
        except FractalDreamError as error:
            trained[model] = error
    return trained
