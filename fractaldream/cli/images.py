"""``fractaldream render``, ``interpolate`` and ``preview``: the commands that draw images.

The render settings' flags are generated from ``RenderSettings``.
"""

import dataclasses
import math
from pathlib import Path

import click
from click.core import ParameterSource

from fractaldream.commandline import settings_options
from fractaldream.errors import UsageError
from fractaldream.palettes import DEFAULT_PALETTE
from fractaldream.settings import FACTORS, RenderSettings, check_palette

#: The render command draws every attractor it is given: nothing is rejected for its coverage.
render_options = settings_options(RenderSettings, exclude=("min_coverage",))


def parse_vector(text: str, option: str) -> tuple[float, ...]:
    """A parameter vector "x0 y0 a b c d" (spaces or commas) as six finite floats."""
    try:
        values = tuple(float(v) for v in text.replace(",", " ").split())
    except ValueError:
        raise UsageError(f"{option} must be six numbers \"x0 y0 a b c d\", got {text!r}") from None
    if len(values) != len(FACTORS) or not all(map(math.isfinite, values)):
        raise UsageError(f"{option} must be six finite numbers \"x0 y0 a b c d\", got {text!r}")
    return values


def png_out(path: str) -> Path:
    out = Path(path)
    if out.suffix.lower() != ".png":
        raise UsageError(f"--out must name a .png file, got {path}")
    if not out.parent.is_dir():
        raise UsageError(f"--out: folder {out.parent} does not exist")
    return out


def given_or_recorded(flags: dict, recorded: dict) -> dict:
    """Each flag's value where the command line gives it; a flag left at its default takes the recorded value."""
    context = click.get_current_context()
    return {name: value if context.get_parameter_source(name) is not ParameterSource.DEFAULT
            else recorded.get(name, value) for name, value in flags.items()}


@click.command("render")
@click.option("--params", "vector", help='The vector "x0 y0 a b c d".')
@click.option("--data", type=click.Path(file_okay=False), help="A built data set, with --id.")
@click.option("--id", "id_", type=int, help="The attractor to re-render from DIR/params.csv.")
@click.option("--out", required=True, help="Output PNG file.")
@render_options
@click.option("--palette", default=DEFAULT_PALETTE, show_default=True, help="Palette (with --data: its first).")
def render_command(vector, data, id_, out, palette, **settings):
    """Render one attractor from its vector, or re-render a row of a built data set.

    With --data, the settings not given take the data set's values, so the row's image comes back bit for bit.
    """
    from fractaldream.dataset import read_row
    from fractaldream.png import encode_png
    from fractaldream.render import iterate
    from fractaldream.store import write_atomic

    if (vector is None) == (data is None):
        raise UsageError("give either --params \"x0 y0 a b c d\" or --data DIR --id ID")
    recorded = {}
    if data is not None:
        if id_ is None:
            raise UsageError("--data needs --id")
        build, row = read_row(Path(data), id_)
        v = row[list(FACTORS)].to_numpy(float)
        recorded = {**dataclasses.asdict(build), "palette": build.palettes[0]}
    else:
        v = parse_vector(vector, "--params")
    chosen = given_or_recorded({**settings, "palette": palette}, recorded)
    palette = chosen.pop("palette")
    check_palette(palette)
    out = png_out(out)
    attractor = iterate(v, RenderSettings(**chosen))
    if attractor.counts is None:
        raise UsageError(f"the vector {' '.join(f'{x:g}' for x in v)} is degenerate ({attractor.status}): nothing to draw")
    write_atomic(out, encode_png(attractor.image(palette)))
    click.echo(f"{out}: {attractor.status}, coverage {attractor.coverage:.3f}, Lyapunov exponent {attractor.lyapunov:.4f}")


@click.command("interpolate")
@click.option("--from", "start", required=True, help='Start vector "x0 y0 a b c d".')
@click.option("--to", "end", required=True, help='End vector "x0 y0 a b c d".')
@click.option("--steps", type=int, required=True, help="Images along the line (>= 2).")
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Output folder (new or empty).")
@render_options
@click.option("--palette", default=DEFAULT_PALETTE, show_default=True)
def interpolate_command(start, end, steps, out, palette, **settings):
    """Render along the straight line from one vector to another in parameter space."""
    from fractaldream.interpolate import interpolate

    table = interpolate(parse_vector(start, "--from"), parse_vector(end, "--to"), steps, out,
                        RenderSettings(**settings), palette)
    degenerate = int((table["status"] != "ok").sum())
    click.echo(f"{out}: {len(table)} images along the line ({degenerate} degenerate, see the status column)")


@click.command("preview")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--out", required=True, help="Output PNG file.")
@click.option("--n", "n", type=click.IntRange(min=1), default=64, show_default=True, help="Images on the sheet.")
@click.option("--palette", help="Only this palette [default: all, in id order].")
def preview_command(directory, out, n, palette):
    """A contact sheet of the first N images of a data set."""
    from fractaldream.preview import contact_sheet

    out = png_out(out)
    shown = contact_sheet(Path(directory), out, n, palette)
    click.echo(f"{out}: {shown} images")
