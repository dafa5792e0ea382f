"""``gans scan``: train the cartesian product of a grid of settings, one run folder each, and tabulate them.

    gans scan --model dcgan --dataset fractal --data fdd/ --grid "lr-g=1e-3,1e-4 bn-eps=0.5,0.05" --max-steps 2000

Every run lives in ``OUT/<setting=value_...>`` (with ``--tensorboard`` also its own TensorBoard run
of that name), so a scan that is interrupted and restarted skips finished runs and resumes the
others. ``OUT/summary.csv`` lists each run's settings, status, last logged losses and D scores, and
the keys of a ``metrics.json`` in its folder when one exists (what the benchmark writes), sorted
by ``--sort-by``.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import click

from fractaldream.errors import FractalDreamError, UsageError
from fractaldream.store import write_atomic
from gans.config import OPERATIONAL, TrainConfig, parse_setting, replace, resolve
from gans.monitor import LOG, LossLog
from gans.train import config_options, train

SUMMARY = "summary.csv"
METRICS = "metrics.json"


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


def scan(base: TrainConfig, grid: dict[str, list], out: Path, jobs: int = 1) -> list[dict]:
    """Run every combination (skipping finished ones); returns the summary rows."""
    combos = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    configs = {run_name(s): replace(base, **s, out=str(out / run_name(s)), resume=True, progress=jobs == 1)
               for s in combos}
    for config in configs.values():
        resolve(config)  # bad settings stop the scan before any run starts
    errors = {}
    if jobs == 1:
        for name, config in configs.items():
            errors[name] = _train_one(config, None)
    else:
        threads = max(1, (os.cpu_count() or 1) // jobs)
        with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
            futures = {name: pool.submit(_train_one, config, threads) for name, config in configs.items()}
            errors = {name: future.result() for name, future in futures.items()}
    return [summary_row(out / name, settings, errors[name]) for name, settings in zip(configs, combos)]


def _train_one(config: TrainConfig, threads: int | None) -> str | None:
    """Train one run; a failing run (e.g. a diverged one) is reported, not fatal to the scan."""
    if threads:
        import torch

        torch.set_num_threads(threads)
    try:
        train(config)
    except FractalDreamError as error:
        click.echo(f"Error: {config.out}: {error.format_message()}", err=True)
        return error.format_message()
    return None


def summary_row(run_dir: Path, settings: dict, error: str | None) -> dict:
    rows = LossLog(run_dir / LOG).rows()
    last = rows[-1] if rows else {}
    row = {"run": run_dir.name, **{k: v for k, v in settings.items()},
           "status": "failed" if error else "finished", **{k: v for k, v in last.items() if k != "images_per_s"}}
    metrics = run_dir / METRICS
    if metrics.exists():
        row.update({k: v for k, v in json.loads(metrics.read_text()).items() if not isinstance(v, (dict, list))})
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


@click.command("scan")
@click.option("--grid", "grid_text", required=True, help='settings to scan, e.g. "lr-g=1e-3,1e-4 bn-eps=0.5,0.05"')
@click.option("--jobs", default=1, show_default=True, help="runs trained at once")
@click.option("--sort-by", default=None, help="summary column to sort by (e.g. loss_g, or a metric)")
@click.option("--descending", is_flag=True, help="sort the summary largest first")
@config_options
def scan_command(grid_text, jobs, sort_by, descending, **settings):
    """Train every combination of --grid, each in its own folder under --out; write OUT/summary.csv."""
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    grid = parse_grid(grid_text)
    out = Path(settings.pop("out") or f"runs/scan-{settings['model']}-{settings['dataset']}")
    settings.pop("resume")
    base = TrainConfig(**settings)
    out.mkdir(parents=True, exist_ok=True)
    rows = write_summary(scan(base, grid, out, jobs), out / SUMMARY, sort_by, descending)
    if rows:
        columns = list(rows[0])
        click.echo("\t".join(columns))
        for row in rows:
            click.echo("\t".join(str(row.get(c, "")) for c in columns))
    failed = [row["run"] for row in rows if row["status"] == "failed"]
    if failed:
        raise FractalDreamError(f"{len(failed)} of {len(rows)} runs failed: {', '.join(failed)}")
