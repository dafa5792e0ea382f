"""``gans bench`` as a composition: data -> train each model once per training seed (or reuse its runs) ->
evaluate each run -> one row per model and code method over its seeds (``gans.bench.seeds``) -> report.

    gans bench --dataset fractal --data fdd/ --image-size 32 --budget-minutes 25 --out results/

Every model gets the distribution metrics (``gans.bench.distribution``) and sample grids; on FDD
also the latent-to-parameter correspondence (``gans.bench.correspondence``). Context rows: held-out
real images (the distribution floor), and for FDD the regressor ceiling and the code floors.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict
from pathlib import Path

import click
import numpy as np
import torch

from fractaldream.errors import FractalDreamError, UsageError
from fractaldream.identifiable import TARGETS
from fractaldream.store import write_atomic
from gans.bench.budget import run_seconds, train_config, train_models
from gans.bench.distribution import DistributionScores, UnitRange, data_fingerprint, rows_sample
from gans.bench.report import write_report
from gans.bench.seeds import per_model
from gans.bench.settings import BenchSettings
from gans.data.loading import load_data
from gans.datasets import record
from gans.models import model_class
from gans.training.device import pick_device
from gans.training.config import resolve
from gans.training.monitor import METRICS
from gans.training.runs import load_run


def log(message: str) -> None:
    click.echo(f"[bench] {message}", err=True)


def checked(settings: BenchSettings) -> BenchSettings:
    """A copy of ``settings`` with its device resolved and the models it can bench (the caller's is left as is)."""
    if not settings.models:
        raise UsageError("--models names no model")
    if settings.budget_minutes < 1:
        raise UsageError(f"--budget-minutes must be at least 1, got {settings.budget_minutes:g}")
    if settings.steps is not None and settings.steps < 1:
        raise UsageError(f"--steps must be at least 1, got {settings.steps}")
    seeds = settings.training_seeds
    if not seeds or len(set(seeds)) < len(seeds):
        raise UsageError(f"--seeds needs distinct seeds, got {','.join(map(str, seeds)) or 'none'}")
    dataset = record(settings.dataset)
    unfit = [name for name in settings.models if not model_class(name).fits(dataset)]
    if unfit:
        log(f"{', '.join(unfit)} left out: {dataset.name} has nothing to condition them on")
    models = tuple(m for m in settings.models if m not in unfit)
    if not models:
        raise UsageError(f"no model of --models fits {dataset.name}")
    settings = settings.replace(models=models, device=str(pick_device(settings.device)))
    for model in models:  # bad seeds or --set values stop the bench before anything is built
        for seed in seeds:
            resolve(train_config(settings, model, seed, settings.data, max_steps=1))
    return settings


def quick_fdd(settings: BenchSettings) -> str | None:
    """``--data``, or for a quick FDD bench without it a tiny build of FDD (a few seconds)."""
    if settings.data is not None or not (settings.quick and settings.dataset == "fractal"):
        return settings.data
    from fractaldream.build import build_dataset
    from fractaldream.settings import BuildSettings

    folder = Path(settings.runs) / f"fdd-quick-{settings.image_size}"
    if not (folder / "params.csv").exists():
        log(f"building a tiny FDD in {folder}")
        build = BuildSettings(size=settings.image_size, points=settings.profile["fdd_points"], palettes=("blue",))
        build_dataset(folder, settings.profile["fdd_n"], build, workers=1, progress=False)
    return str(folder)


def machine() -> str:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (f"{platform.processor() or platform.machine()}, {cpus} CPU cores, {gpu}; torch {torch.__version__}, "
            f"threads {torch.get_num_threads()}")


def run_bench(settings: BenchSettings) -> Path:
    """Run the whole bench; returns ``<out>/<dataset>``."""
    settings = checked(settings)
    started = time.perf_counter()
    torch.manual_seed(settings.seed)
    data_folder = quick_fdd(settings)
    data = load_data(settings.dataset, data_folder, settings.image_size, settings.palette, progress=settings.progress)
    log(f"{settings.dataset}: {len(data.images)} images at {settings.image_size}x{settings.image_size}")
    real = UnitRange(data.images)
    fractal = fractal_evaluation(settings, data, data_folder, real)
    v = fractal.raw_v if fractal else np.zeros(0)
    extractors = {"fdd-regressor": fractal.features} if fractal else {}
    distribution = DistributionScores(settings, real, data_fingerprint(data.images, v), extractors, log)

    n_generated = settings.profile["n_generated"]
    held_out = (fractal.held_out_real(n_generated) if fractal
                else real[rows_sample(len(real), n_generated, settings.seed + 1)])
    rows = [{"model": "real data (held out)" if fractal else "real data (subset)", "codes": "-",
             **distribution(held_out)}]
    rows += fractal.context_rows() if fractal else []
    figures = {"real": real[:64]}
    seed_rows = []  # one per model, code method and training seed
    for (model, seed), trained in train_models(settings, data_folder, run_seconds(settings), log).items():
        if isinstance(trained, FractalDreamError):  # e.g. a diverged run: report it, bench the others
            log(f"{model} seed={seed}: {trained}")
            seed_rows.append({"model": model, "seed": seed, "codes": f"failed: {trained}"})
            continue
        log(f"{model} seed={seed}: evaluating")
        run = load_run(trained.run_dir, settings.device)
        samples = (run.generate_for_v(fractal.sample_v(n_generated, settings.seed), settings.seed) if run.takes_v
                   else run.sample_images(n_generated, settings.seed))
        base = {"model": model, "seed": seed, "steps": trained.steps, "train_s": trained.train_s,
                "images_per_s": trained.images_per_s, **distribution(samples)}
        shown = figures.setdefault(model, {"samples": samples[:64]})  # the figures show a model's first seed
        if fractal is not None:
            direct, pairs = fractal.direct(run)
            if pairs is not None:
                shown.setdefault("direct", pairs)
            base.update(direct)
        write_scores(trained.run_dir, base)
        seed_rows += [{**base, **codes} for codes in fractal.code_rows(run)] if fractal else [{**base, "codes": "-"}]
    rows += per_model(seed_rows)
    summary = {
        "command": settings.command(),
        "machine": machine(),
        "wall_minutes": (time.perf_counter() - started) / 60,
        "settings": {k: v for k, v in asdict(settings).items() if k != "progress"},
        "training_seeds": list(settings.training_seeds),
        "overrides": dict(settings.overrides),
        "fd_jumpiness": fractal.fd_jumpiness if fractal else None,
        "targets": list(TARGETS) if fractal else [],
        "inception": distribution.inception,
    }
    out = write_report(Path(settings.out), settings.dataset, rows, figures, summary, seed_rows)
    log(f"wrote {out} in {summary['wall_minutes']:.1f} minutes")
    return out


def write_scores(run_dir: Path, row: dict) -> None:
    """The run's scores beside it (``gans scan`` reads them into its summary)."""
    scores = {k: v for k, v in row.items() if isinstance(v, (int, float)) and k != "model"}
    write_atomic(Path(run_dir) / METRICS, (json.dumps(scores, indent=2) + "\n").encode())


def fractal_evaluation(settings, data, data_folder, real):
    """The FDD correspondence evaluation of a bench on ``data`` (None for data without parameter vectors)."""
    if not data.info.factors:
        return None
    from fractaldream.dataset import build_settings_of
    from gans.bench.correspondence import FractalCorrespondence
    from gans.data.cache import cache_dir

    build = build_settings_of(Path(data_folder or cache_dir(settings.dataset)))
    return FractalCorrespondence(settings, data, build, real, log)
