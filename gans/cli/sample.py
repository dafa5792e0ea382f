"""``gans sample`` (a grid of samples) and ``gans interpolate`` (a GIF walking the latent space).

Interpolation runs between random latent anchors, linearly or spherically (SLERP); ``--cycle``
walks A -> B -> C -> A, so the GIF loops seamlessly. Each frame shows ``--n`` paths side by side.

Each writes the file type its ``--out`` extension names (or refuses, before any work, an extension it
cannot write or a folder that does not exist), atomically: a failed write leaves no partial file.
"""

import io
from pathlib import Path

import click

from fractaldream.errors import FractalDreamError, UsageError

#: What each command writes, by the extension of --out: PIL's format names.
GRID_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
ANIMATION_FORMATS = {".gif": "GIF", ".png": "PNG"}  # PNG: an animated PNG


@click.command("sample")
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--n", default=64, show_default=True, help="number of samples")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="PNG or JPEG file (by its extension)")
@click.option("--seed", default=0, show_default=True)
@click.option("--device", default="cpu", show_default=True)
def sample_command(run, n, out, seed, device):
    """Write a grid of N samples of a trained RUN."""
    import torch

    from gans.training.monitor import to_pil
    from gans.training.runs import load_run

    if n < 1:
        raise UsageError("--n must be at least 1")
    image_format = output_format(out, GRID_FORMATS)
    loaded = load_run(run, device)
    generator = torch.Generator().manual_seed(seed)
    images = loaded.generate(loaded.sample_latent(n, generator), loaded.sample_condition(n, generator))
    buffer = io.BytesIO()
    to_pil(images).save(buffer, format=image_format)
    write(out, buffer.getvalue())
    click.echo(str(out))


@click.command("interpolate")
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--mode", type=click.Choice(["linear", "slerp"]), default="slerp", show_default=True)
@click.option("--cycle", is_flag=True, help="walk A -> B -> C -> A instead of A -> B")
@click.option("--steps", default=30, show_default=True, help="frames per segment")
@click.option("--n", default=8, show_default=True, help="paths shown side by side")
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="GIF or animated PNG file (by its extension)")
@click.option("--fps", default=12, show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--device", default="cpu", show_default=True)
def interpolate_command(run, mode, cycle, steps, n, out, fps, seed, device):
    """Write a GIF of a trained RUN's images along latent paths."""
    import torch

    from gans.training.monitor import to_pil
    from gans.training.runs import load_run
    from gans.training.sample import latent_path

    if steps < 1 or n < 1 or fps < 1:
        raise UsageError("--steps, --n and --fps must be at least 1")
    image_format = output_format(out, ANIMATION_FORMATS)
    loaded = load_run(run, device)
    generator = torch.Generator().manual_seed(seed)
    anchors = [loaded.sample_latent(n, generator) for _ in range(3 if cycle else 2)]
    cond = loaded.sample_condition(n, generator)  # cdcgan: each path keeps its condition
    if cycle:
        anchors.append(anchors[0])
    frames = [to_pil(loaded.generate(z, cond), nrow=n) for z in latent_path(anchors, steps, mode)]
    if cycle:
        frames.pop()  # the loop returns to the first frame by itself
    buffer = io.BytesIO()
    frames[0].save(buffer, format=image_format, save_all=True, append_images=frames[1:], duration=int(1000 / fps),
                   loop=0)
    write(out, buffer.getvalue())
    click.echo(str(out))


def output_format(out: Path, formats: dict[str, str]) -> str:
    """The format ``out``'s extension names, checked before any work, as is the folder it goes in."""
    image_format = formats.get(out.suffix.lower())
    if image_format is None:
        raise UsageError(f"--out {out}: cannot write {out.suffix or 'a file without an extension'} here; "
                         f"name a {', '.join(formats)} file")
    if not out.parent.is_dir():
        raise UsageError(f"--out {out}: the folder {out.parent} does not exist")
    return image_format


def write(out: Path, data: bytes) -> None:
    from fractaldream.store import write_atomic

    try:
        write_atomic(out, data)
    except OSError as error:  # a full disk, read-only media: the old file, if any, is left as it was
        raise FractalDreamError(f"cannot write {out}: {error.strerror or error}") from None
