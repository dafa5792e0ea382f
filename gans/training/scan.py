"""A scan: train the cartesian product of a grid of settings, one run folder each, and tabulate them.

    gans scan --model dcgan --dataset fractal --data fdd/ --grid "lr-g=1e-3,1e-4 bn-eps=0.5,0.05" --max-steps 2000

Every run lives in ``OUT/<setting=value_...>`` (with ``--tensorboard`` also its own TensorBoard run
of that name), so a scan that is interrupted and restarted skips finished runs and resumes the
others. ``OUT/summary.csv`` lists each run's settings, status, last logged losses and D scores, and
the scores ``gans bench`` wrote into the run's ``metrics.json`` when it evaluated it, sorted by ``--sort-by``.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from multiprocessing import get_context
from pathlib import Path

import click

from fractaldream.errors import FractalDreamError, UsageError
from fractaldream.store import write_atomic
from gans.training.config import OPERATIONAL, TrainConfig, parse_setting, replace, resolve
from gans.training.loop import train
from gans.training.monitor import LOG, METRICS, LossLog

SUMMARY = "summary.csv"


def parse_grid(text: str) -> dict[str, list]:
    """``"lr-g=1e-3,1e-4 bn-eps=0.5"`` -> ``{"lr_g": [0.001, 0.0001], "bn_eps": [0.5]}``."""
    grid = {}
    for item in text.split():
        key, sep, values = item.partition("=")
        name = key.replace("-", "_")
        if not sep or not values:
            raise UsageError(f"bad grid item {item!r} (expected name=value1,value2,...)")
        if name in OPERATIONAL:
            raise UsageError(f"{key} cannot be scanned")
        grid[name] = [parse_setting(name, value) for value in values.split(",")]
    if not grid:
        raise UsageError("--grid is empty")
    return grid


def run_name(settings: dict) -> str:
    def text(value):
        return ":".join(map(str, value)) if isinstance(value, tuple) else str(value)

    return "_".join(f"{name.replace('_', '-')}={text(value)}" for name, value in settings.items())


def scan(base: TrainConfig, grid: dict[str, list], out: Path, jobs: int = 1,
         scheduler: str | None = None) -> list[dict]:
    """Run every combination (skipping finished ones), ``jobs`` at a time here, or each as a task on the
    dask.distributed cluster at ``scheduler`` (see ``gans.training.cluster``); returns the summary rows."""
    if scheduler is not None and jobs != 1:
        raise UsageError("--jobs and --scheduler exclude each other: the cluster has its own workers")
    combos = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    progress = base.progress and jobs == 1 and scheduler is None  # parallel runs' bars would garble
    configs = {run_name(s): replace(base, **s, out=str(out / run_name(s)), resume=True, progress=progress)
               for s in combos}
    for config in configs.values():
        resolve(config)  # bad settings stop the scan before any run starts
    errors = {}
    if scheduler is not None:
        from gans.training.cluster import run_tasks

        calls = {name: partial(_train_one, config, None) for name, config in configs.items()}
        for name, result in run_tasks(scheduler, calls, base.device, _echo).items():
            lost = isinstance(result, FractalDreamError)  # the cluster lost its workers
            errors[name] = _report(configs[name], result, _echo) if lost else result
    elif jobs == 1:
        for name, config in configs.items():
            errors[name] = _train_one(config, None)
    else:
        threads = max(1, (os.cpu_count() or 1) // jobs)
        with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
            futures = {name: pool.submit(_train_one, config, threads) for name, config in configs.items()}
            errors = {name: future.result() for name, future in futures.items()}
    return [summary_row(out / name, settings, errors[name]) for name, settings in zip(configs, combos)]


def _echo(message: str) -> None:
    click.echo(message, err=True)


def _train_one(config: TrainConfig, threads: int | None, log=_echo) -> str | None:
    """Train one run; a failing run (e.g. a diverged one) is reported to ``log``, not fatal to the scan."""
    if threads:
        import torch

        torch.set_num_threads(threads)
    try:
        train(config)
    except FractalDreamError as error:
        return _report(config, error, log)
    return None


def _report(config: TrainConfig, error: FractalDreamError, log) -> str:
    log(f"Error: {config.out}: {error}")
    return str(error)


def summary_row(run_dir: Path, settings: dict, error: str | None) -> dict:
    rows = LossLog(run_dir / LOG).rows()
    last = rows[-1] if rows else {}
    row = {"run": run_dir.name, **settings, "status": "failed" if error else "finished",
           **{k: v for k, v in last.items() if k != "images_per_s"}}
    metrics = run_dir / METRICS
    if metrics.exists():
        row.update(json.loads(metrics.read_text()))
    return row


def write_summary(rows: list[dict], path: Path, sort_by: str | None, descending: bool) -> list[dict]:
    if sort_by is not None:
        if not any(sort_by in row for row in rows):
            raise UsageError(f"--sort-by {sort_by}: no such column (have {', '.join(rows[0])})")

        def key(row):
            try:
                return (0, float(row.get(sort_by)) * (-1 if descending else 1))
            except (TypeError, ValueError):
                return (1, 0.0)

        rows = sorted(rows, key=key)
    columns = list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, restval="")
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(path, buffer.getvalue().encode())
    return rows
