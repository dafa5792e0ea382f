"""``fractaldream estimate``: the parameters of attractor images, one CSV row per image.

The search's flags are generated from ``SearchSettings``, the re-render's from ``RenderSettings`` (the size is
each image's own). The ceiling regressor (torch, ``gans``) that seeds the search is loaded only when the command runs.
"""

import csv
import io
from pathlib import Path

import click

from fractaldream.commandline import settings_options
from fractaldream.errors import UsageError
from fractaldream.estimate_settings import CEILING_CONFIG, CEILING_HELD_OUT, READ_SIZE, SearchSettings
from fractaldream.settings import FACTORS, BuildSettings, RenderSettings

COLUMNS = ("image", *FACTORS, "similarity", "seconds")
RENDER_FLAGS = ("points", "burn_in", "precision")


def read_image(path: str):
    """The RGB image at ``path`` (uint8 S x S x 3 numpy array), or a one-line error naming it."""
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    file = Path(path)
    if not file.exists():
        raise UsageError(f"{path}: no such file")
    if not file.is_file():
        raise UsageError(f"{path}: not a file")
    try:
        with Image.open(file) as image:
            return np.asarray(image.convert("RGB"))
    except UnidentifiedImageError:
        raise UsageError(f"{path}: not an image") from None
    except OSError as error:
        raise UsageError(f"{path}: cannot read it ({error.strerror or error})") from None


def checked_images(paths, threshold: float) -> list:
    from fractaldream.estimate import check_image

    images = []
    for path in paths:
        image = read_image(path)
        try:
            check_image(image, threshold)
        except UsageError as error:
            raise UsageError(f"{path}: {error}") from None
        images.append(image)
    return images


def ceiling_reader(sizes, render: RenderSettings, search: SearchSettings, progress: bool):
    """``read(images)`` for :func:`fractaldream.estimate.estimate`: the ceiling regressor of each image size, read at
    most at READ_SIZE; loaded here (trained on the stream rendered with these settings on first use, cached after),
    so that reading is all an estimate's time counts."""
    import torch

    from gans.metrics.regressor import as_loaded, cache_path, ceiling_regressor, full_config

    ceilings = {}
    for size in sorted(set(sizes)):
        build = BuildSettings(size=size, points=render.points, burn_in=render.burn_in, range_abcd=search.range_abcd)
        arguments = (min(size, READ_SIZE), search.ceiling_attractors, CEILING_HELD_OUT, CEILING_CONFIG)
        path = cache_path(build, full_config(*arguments))
        if not path.is_file():
            click.echo(f"Training the ceiling regressor for {size}x{size} images on {search.ceiling_attractors:,} "
                       f"attractors (first use, a minute or two; cached in {path})", err=True)
        ceilings[size] = ceiling_regressor(build, *arguments, progress=progress)

    def read(images):
        size = images.shape[1]
        return ceilings[size].predict(torch.from_numpy(as_loaded(images, min(size, READ_SIZE))))

    return read


def csv_text(paths, estimates) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for path, estimate in zip(paths, estimates):
        writer.writerow([path, *map(float, estimate.v), estimate.similarity, estimate.seconds])  # floats exact
    return buffer.getvalue()


def table_text(paths, estimates) -> str:
    rows = [[path, *(f"{x:.4f}" for x in estimate.v), f"{estimate.similarity:.3f}", f"{estimate.seconds:.2f}"]
            for path, estimate in zip(paths, estimates)]
    widths = [max(len(str(cell)) for cell in column) for column in zip(COLUMNS, *rows)]
    return "\n".join("  ".join(str(cell).rjust(width) if k else str(cell).ljust(width)
                               for k, (cell, width) in enumerate(zip(row, widths))) for row in [COLUMNS, *rows])


@click.command("estimate")
@click.argument("images", nargs=-1, required=True)
@click.option("--out", metavar="CSV", help="Write the estimates to this CSV file [default: print a table].")
@click.option("--refine/--no-refine", default=True, show_default=True,
              help="Refine the regressor's reading by re-rendering; --no-refine answers the reading itself.")
@settings_options(RenderSettings, only=RENDER_FLAGS)
@settings_options(SearchSettings)
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show progress bars.")
def estimate_command(images, out, refine, progress, **settings):
    """Estimate the parameters of attractor images.

    Per image, one representative (x0, y0, a, b, c, d) of what the picture determines: a >= 0, b carrying
    sign(a b), and a fixed start (x0, y0), which an image cannot tell; and the similarity reached, the
    coverage-matched IoU of its re-render against the image. The regressor that seeds the search is trained
    the first time an image size is estimated, then cached.
    """
    from fractaldream.estimate import estimate
    from fractaldream.store import write_atomic
    from gans.metrics.defaults import OCCUPANCY_THRESHOLD

    render = RenderSettings(**{name: settings.pop(name) for name in RENDER_FLAGS})
    search = SearchSettings(**settings)
    render.validate()
    search.validate()
    out = Path(out) if out else None
    if out is not None and not out.parent.is_dir():
        raise UsageError(f"--out: folder {out.parent} does not exist")
    pictures = checked_images(images, OCCUPANCY_THRESHOLD)
    reader = ceiling_reader([picture.shape[0] for picture in pictures], render, search, progress)
    estimates = estimate(pictures, render, threshold=OCCUPANCY_THRESHOLD, read=reader,
                         search=search, refine=refine, progress=progress)
    if out is None:
        click.echo(table_text(images, estimates))
    else:
        write_atomic(out, csv_text(images, estimates).encode())
        click.echo(f"{out}: {len(estimates)} estimates")
