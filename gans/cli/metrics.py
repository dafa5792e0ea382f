"""``gans metrics``: FID between two folders or .npz files, correspondence of codes with factors, the FDD regressor."""

import json
from pathlib import Path

import click
import numpy as np

from fractaldream.commandline import OneLineErrorGroup
from fractaldream.errors import UsageError
from fractaldream.identifiable import SIGN_TARGETS, TARGETS, identifiable_targets
from gans.metrics import defaults

#: ``--targets``: name -> (target names, raw factors -> targets). numpy only, so ``--help`` stays fast.
TARGET_SETS = {"fdd": (TARGETS, identifiable_targets)}
#: How the correspondence scores treat a sign target (see gans.metrics.correspondence).
SIGN_SCORING = "R^2 of the +-1 target (0: no better than its mean, 1: read perfectly)"


@click.group(cls=OneLineErrorGroup)
def metrics():
    """Evaluation metrics: FID/KID/precision-recall, FFD, latent-to-parameter correspondence."""


@metrics.command()
@click.argument("paths", nargs=2, type=click.Path(path_type=Path))
@click.option("--dims", type=int, default=defaults.FID_DIMS, show_default=True, help="Inception features (64, 192, 768, 2048).")
@click.option("--batch-size", type=click.IntRange(min=1), default=defaults.FID_BATCH_SIZE, show_default=True)
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--num-workers", type=click.IntRange(min=0), default=0, show_default=True, help="Image-loading processes.")
@click.option("--fid-weights", type=click.Path(path_type=Path), default=None,
              help=f"A local copy of {defaults.FID_WEIGHTS_FILE} (default: torch.hub's cache, fetched once).")
@click.option("--save-stats", is_flag=True, help="Save the statistics of the folder PATH1 to the .npz file PATH2.")
def fid(paths, dims, batch_size, device, num_workers, fid_weights, save_stats):
    """FID between PATH1 and PATH2 (folders of images or .npz statistics), as `python -m pytorch_fid` computes it."""
    from gans.metrics.fid import fid_of_paths, save_statistics, statistics_of_path
    from gans.metrics.inception import InceptionFeatures
    from gans.training.device import pick_device

    device = str(pick_device(device))
    if save_stats:
        source, target = paths
        if source.suffix == ".npz" or not source.is_dir():
            raise UsageError(f"--save-stats needs a folder of images as PATH1, got {source}")
        if target.exists():
            raise UsageError(f"{target} exists already")
        stats = statistics_of_path(source, InceptionFeatures(dims, fid_weights, device), batch_size, num_workers)
        save_statistics(target, stats)
        click.echo(f"saved the statistics of {source} to {target}")
        return
    value = fid_of_paths(*paths, dims=dims, batch_size=batch_size, device=device, weights=fid_weights,
                         num_workers=num_workers)
    click.echo(f"FID: {value!r}")


def _load_array(path: Path, what: str) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise UsageError(f"{what} {path}: not a readable .npy array ({error})") from error


@metrics.command(name="correspondence")
@click.argument("latents", type=click.Path(path_type=Path))
@click.argument("factors", type=click.Path(path_type=Path))
@click.option("--targets", type=click.Choice(list(TARGET_SETS)), default=None,
              help="Score against what the factors' images determine: fdd takes raw FDD vectors (n x 6: x0, y0, "
                   f"a, b, c, d) and scores {', '.join(TARGETS)}. Default: the factors as given.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--test-fraction", type=click.FloatRange(0.05, 0.9), default=defaults.TEST_FRACTION, show_default=True)
@click.option("--seed", type=int, default=defaults.SEED, show_default=True)
def correspondence_command(latents, factors, targets, as_json, test_fraction, seed):
    """How well codes LATENTS.npy (n x k) correspond to factors FACTORS.npy (n x m): probes, MIG, SAP, DCI."""
    from gans.metrics.correspondence import correspondence

    codes, factors = _load_array(latents, "LATENTS"), _load_array(factors, "FACTORS")
    names = None
    if targets:
        names, derive = TARGET_SETS[targets]
        factors = derive(factors)
    scores = correspondence(codes, factors, test_fraction, seed)
    signs = [name for name in names or () if name in SIGN_TARGETS]
    if as_json:
        extra = {"targets": list(names)} if names else {}
        if signs:
            extra["sign_targets_scored_as"] = SIGN_SCORING
        click.echo(json.dumps({**scores, **extra}))
        return
    if names:
        click.echo(f"{'targets':20s} {' '.join(f'{name:>7s}' for name in names)}")
    for key, value in scores.items():
        shown = " ".join(f"{v:7.3f}" for v in value) if isinstance(value, list) else f"{value:.4f}"
        click.echo(f"{key:20s} {shown}")
    if signs:
        click.echo(f"{', '.join(signs)}: {SIGN_SCORING}")


def _budgets(text: str) -> list[int]:
    try:
        budgets = [int(b) for b in text.split(",") if b.strip()]
    except ValueError:
        raise UsageError(f"--curve takes attractor budgets separated by commas, got {text!r}") from None
    if any(b < 1 for b in budgets):
        raise UsageError(f"--curve budgets must be positive, got {text!r}")
    return budgets


@metrics.command()
@click.option("--data", type=click.Path(path_type=Path, exists=True, file_okay=False), required=True,
              help="An FDD folder: the ceiling renders the stream with its build settings.")
@click.option("--image-size", type=click.IntRange(min=16), default=32, show_default=True)
@click.option("--attractors", type=click.IntRange(min=1), default=defaults.CEILING_ATTRACTORS, show_default=True,
              help="Distinct attractors of the stream to train on.")
@click.option("--held-out", type=click.IntRange(min=2), default=defaults.CEILING_HELD_OUT, show_default=True,
              help="Held-out attractors of the stream to score on.")
@click.option("--curve", "curve", default=None,
              help="Learning-curve budgets, e.g. 3000,10000 (default: "
                   f"{','.join(map(str, defaults.CEILING_CURVE))} up to --attractors; '' for none).")
@click.option("--min-images", type=click.IntRange(min=0), default=defaults.CEILING_CURVE_MIN_IMAGES, show_default=True,
              help="Images each learning-curve budget trains on at least (more passes over few attractors).")
def regressor(data, image_size, attractors, held_out, curve, min_images):
    """Train (or reuse) the FDD ceiling for DATA's build settings; print its held-out scores and learning curve.

    Every ceiling is cached; one not in the cache is trained here (100,000 attractors: tens of minutes).
    """
    from fractaldream.dataset import build_settings_of
    from gans.metrics.regressor import ceilings, curve_configs

    budgets = ([b for b in defaults.CEILING_CURVE if b <= attractors] if curve is None else _budgets(curve))
    build = build_settings_of(data)
    ceiling, *points = ceilings(build, image_size, [attractors, *budgets], held_out,
                                [None, *curve_configs(budgets, min_images=min_images)])
    click.echo(f"ceiling: {ceiling.summary()}")
    click.echo(f"sign_ab: {SIGN_SCORING}; intervals: 95% bootstrap over the held-out attractors")
    if points:
        click.echo(f"learning curve (each budget trained on at least {min_images:,} images):")
        for point in points:
            click.echo(f"  {point.summary()}")
    click.echo(f"saved at {ceiling.path}")
