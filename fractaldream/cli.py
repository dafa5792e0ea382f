"""The ``fractaldream`` command line: build, render, preview, interpolate, and publish on Kaggle."""

from pathlib import Path

import click
import numpy as np

from fractaldream.errors import OneLineErrorGroup, UsageError
from fractaldream.render import PRECISIONS
from fractaldream.shade import PALETTES


def parse_vector(text: str, option: str) -> np.ndarray:
    """A parameter vector "x0 y0 a b c d" (spaces or commas) as six finite floats."""
    try:
        values = [float(v) for v in text.replace(",", " ").split()]
    except ValueError:
        raise UsageError(f"{option} must be six numbers \"x0 y0 a b c d\", got {text!r}") from None
    if len(values) != 6 or not np.all(np.isfinite(values)):
        raise UsageError(f"{option} must be six finite numbers \"x0 y0 a b c d\", got {text!r}")
    return np.array(values)


def _palette_list(ctx, param, value: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in value.split(",") if p.strip())


def _positive(ctx, param, value):
    if value is not None and value < 1:
        raise click.BadParameter(f"must be at least 1, got {value}")
    return value


def _image_out(path: str) -> Path:
    out = Path(path)
    if out.suffix.lower() != ".png":
        raise UsageError(f"--out must name a .png file, got {path}")
    if not out.parent.is_dir():
        raise UsageError(f"--out: folder {out.parent} does not exist")
    return out


@click.group(cls=OneLineErrorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fractaldream")
def main():
    """Build the Fractal Dream Dataset: strange attractors with known parameter-space coordinates."""


@main.command()
@click.option("--n", "n", type=int, required=True, callback=_positive, help="Accepted attractors to build.")
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Output folder.")
@click.option("--size", type=int, default=128, show_default=True, help="Image side in pixels (>= 8).")
@click.option("--points", type=int, default=1_000_000, show_default=True, callback=_positive,
              help="Iterates aggregated per attractor.")
@click.option("--burn-in", type=int, default=100, show_default=True, help="Iterates discarded first.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--palettes", default="blue,orange,green", show_default=True, callback=_palette_list,
              help=f"Comma-separated, from: {', '.join(PALETTES)}.")
@click.option("--workers", type=int, default=None, callback=_positive, help="Processes [default: all cores].")
@click.option("--range-abcd", type=(float, float), default=(-3.0, 3.0), show_default=True,
              help="Uniform range of a, b, c, d.")
@click.option("--range-xy", type=(float, float), default=(-1.0, 1.0), show_default=True,
              help="Uniform range of x0, y0.")
@click.option("--min-coverage", type=float, default=0.05, show_default=True,
              help="Reject attractors filling less than this fraction of the pixels.")
@click.option("--precision", type=click.Choice(PRECISIONS), default="float32", show_default=True,
              help="float32: many attractors in lockstep in SIMD lanes (fast); float64: the exact scalar loop.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Run on the dask.distributed cluster of this scheduler (e.g. tcp://host:8786) instead of local processes.")
def build(n, out, size, points, burn_in, seed, palettes, workers, range_abcd, range_xy, min_coverage, precision, scheduler):
    """Build (resume, or extend) a data set of N attractors in OUT."""
    from fractaldream.build import build_dataset

    summary = build_dataset(out, n, size=size, points=points, burn_in=burn_in, seed=seed, palettes=palettes,
                            workers=workers, range_abcd=range_abcd, range_xy=range_xy, min_coverage=min_coverage,
                            precision=precision, scheduler=scheduler)
    click.echo(summary.report())


@main.command()
@click.option("--params", "vector", help='The vector "x0 y0 a b c d".')
@click.option("--data", type=click.Path(file_okay=False), help="A built data set, with --id.")
@click.option("--id", "id_", type=int, help="The attractor to re-render from DIR/params.csv.")
@click.option("--out", required=True, help="Output PNG file.")
@click.option("--size", type=int, help="Image side [default: 128, or the data set's].")
@click.option("--points", type=int, callback=_positive, help="Iterates [default: 1000000, or the data set's].")
@click.option("--burn-in", type=int, help="Iterates discarded first [default: 100, or the data set's].")
@click.option("--palette", help="Palette [default: blue, or the data set's first].")
@click.option("--precision", type=click.Choice(PRECISIONS),
              help="Iteration precision [default: float32, or the data set's].")
def render(vector, data, id_, out, size, points, burn_in, palette, precision):
    """Render one attractor from its vector, or re-render a row of a built data set."""
    from fractaldream.dataset import read_row
    from fractaldream.render import RenderSettings, iterate
    from fractaldream.store import write_atomic
    from fractaldream.build import encode_png

    if (vector is None) == (data is None):
        raise UsageError("give either --params \"x0 y0 a b c d\" or --data DIR --id ID")
    if data is not None:
        if id_ is None:
            raise UsageError("--data needs --id")
        settings, row = read_row(Path(data), id_)
        v = row[["x0", "y0", "a", "b", "c", "d"]].to_numpy(float)
        size = settings["size"] if size is None else size
        points = settings["points"] if points is None else points
        burn_in = settings["burn_in"] if burn_in is None else burn_in
        palette = settings["palettes"][0] if palette is None else palette
        precision = settings.get("precision", "float64") if precision is None else precision  # older sets: float64
    else:
        v = parse_vector(vector, "--params")
        size, points, burn_in, palette = size or 128, points or 1_000_000, 100 if burn_in is None else burn_in, palette or "blue"
    if size < 8:
        raise UsageError(f"--size must be at least 8, got {size}")
    if burn_in < 0:
        raise UsageError(f"--burn-in must not be negative, got {burn_in}")
    if palette not in PALETTES:
        raise UsageError(f"unknown palette {palette!r}; choose from {', '.join(PALETTES)}")
    out = _image_out(out)
    attractor = iterate(v, RenderSettings(size=size, points=points, burn_in=burn_in, precision=precision or "float32"))
    if attractor.counts is None:
        raise UsageError(f"the vector {' '.join(f'{x:g}' for x in v)} is degenerate ({attractor.status}): nothing to draw")
    write_atomic(out, encode_png(attractor.image(palette)))
    click.echo(f"{out}: {attractor.status}, coverage {attractor.coverage:.3f}, Lyapunov exponent {attractor.lyapunov:.4f}")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--out", required=True, help="Output PNG file.")
@click.option("--n", "n", type=int, default=64, show_default=True, callback=_positive, help="Images on the sheet.")
@click.option("--palette", help="Only this palette [default: all, in id order].")
def preview(directory, out, n, palette):
    """A contact sheet of the first N images of a data set."""
    from fractaldream.preview import contact_sheet

    out = _image_out(out)
    shown = contact_sheet(Path(directory), out, n, palette)
    click.echo(f"{out}: {shown} images")


@main.command()
@click.option("--from", "start", required=True, help='Start vector "x0 y0 a b c d".')
@click.option("--to", "end", required=True, help='End vector "x0 y0 a b c d".')
@click.option("--steps", type=int, required=True, callback=_positive, help="Images along the line (>= 2).")
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Output folder (new or empty).")
@click.option("--size", type=int, default=128, show_default=True)
@click.option("--points", type=int, default=1_000_000, show_default=True, callback=_positive)
@click.option("--burn-in", type=int, default=100, show_default=True)
@click.option("--palette", default="blue", show_default=True)
@click.option("--precision", type=click.Choice(PRECISIONS), default="float32", show_default=True)
def interpolate(start, end, steps, out, size, points, burn_in, palette, precision):
    """Render along the straight line from one vector to another in parameter space."""
    from fractaldream.interpolate import interpolate as run

    table = run(parse_vector(start, "--from"), parse_vector(end, "--to"), steps, out,
                size=size, points=points, burn_in=burn_in, palette=palette, precision=precision)
    degenerate = int((table["status"] != "ok").sum())
    click.echo(f"{out}: {len(table)} images along the line ({degenerate} degenerate, see the status column)")


from fractaldream.kaggle import kaggle_group  # noqa: E402

main.add_command(kaggle_group)
