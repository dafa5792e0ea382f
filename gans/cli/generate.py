"""``gans generate RUN --v V.npy --out DIR``: G(v) for each row of V, written as ``DIR/<row>.png``.

V is an N x 6 ``.npy`` of raw FDD parameter vectors (x0, y0, a, b, c, d), the units of ``params.csv``.
Only the run's checkpoint is read (no data set), so a published run folder works on its own. Rows outside
the ranges the run was trained on are generated anyway (G extrapolates there), with a warning.

The same run, V and ``--seed`` give byte-identical PNGs: cdcgan's noise for the block of rows from ``start``
is drawn from ``seed + start``.
"""

from pathlib import Path

import click

from fractaldream.errors import FractalDreamError, UsageError, describe_os_error
from fractaldream.settings import FACTORS


@click.command("generate")
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--v", "v_file", type=click.Path(path_type=Path), required=True,
              help="N x 6 .npy of raw parameter vectors (x0, y0, a, b, c, d)")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="folder for <row>.png (made if missing)")
@click.option("--overwrite", is_flag=True, help="replace PNGs of the same names already in --out")
@click.option("--seed", default=0, show_default=True, help="seeds the noise of models that draw it (cdcgan)")
@click.option("--device", default="cpu", show_default=True)
def generate_command(run, v_file, out, overwrite, seed, device):
    """Write G(v) as OUT/<row>.png for each row of V, for a RUN whose model takes v (cdcgan, lsd, renderer)."""
    from tqdm import tqdm

    from gans.cli.sample import write
    from gans.training.runs import BATCH, load_run

    vectors = read_vectors(v_file)
    loaded = load_run(run, device)
    if not loaded.takes_v:
        raise UsageError(f"{run}: model {loaded.config.model} does not take a parameter vector v "
                         f"(models that do: {', '.join(models_taking_v())})")
    targets = [out / f"{row}.png" for row in range(len(vectors))]
    check_out(out, targets, overwrite)
    warn_outside_ranges(vectors, loaded.info.ranges)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise FractalDreamError(f"cannot make {out}: {describe_os_error(error)}") from None
    with tqdm(total=len(vectors), unit="img", desc="generating", disable=len(vectors) <= BATCH) as bar:
        for start in range(0, len(vectors), BATCH):
            images = loaded.generate_for_v(vectors[start:start + BATCH], seed=seed + start)
            for target, image in zip(targets[start:start + BATCH], images):
                write(target, png_bytes(image))
                bar.update()
    size = loaded.config.image_size
    click.echo(f"wrote {len(vectors)} PNGs ({size}x{size}) of G(v) from {run} to {out}")


def models_taking_v() -> list[str]:
    from gans.models import MODELS, model_class

    return [name for name in MODELS if "v" in model_class(name).conditioning]


def read_vectors(v_file: Path):
    """The finite N x 6 array (N >= 1) in ``v_file``, as float64."""
    import numpy as np

    if not v_file.is_file():
        raise UsageError(f"--v {v_file}: no such file")
    try:
        vectors = np.load(v_file, allow_pickle=False)
    except OSError as error:
        raise UsageError(f"--v {v_file}: cannot read it ({describe_os_error(error)})") from None
    except (ValueError, EOFError):  # numpy reads what is not an .npy file as a pickle, and refuses it
        raise UsageError(f"--v {v_file}: not an .npy array of numbers (another format, a truncated file, or "
                         f"Python objects, which are not loaded because loading them could run code)") from None
    if not isinstance(vectors, np.ndarray):  # an .npz archive
        raise UsageError(f"--v {v_file}: an .npz archive; save one array with numpy.save")
    if vectors.ndim != 2 or vectors.shape[1] != len(FACTORS):
        raise UsageError(f"--v {v_file}: shape {vectors.shape}, expected N x {len(FACTORS)} "
                         f"({', '.join(FACTORS)} per row)")
    if len(vectors) == 0:
        raise UsageError(f"--v {v_file}: no rows")
    if not (np.issubdtype(vectors.dtype, np.integer) or np.issubdtype(vectors.dtype, np.floating)):
        raise UsageError(f"--v {v_file}: values of type {vectors.dtype}, expected numbers")
    vectors = vectors.astype(np.float64)
    bad = np.flatnonzero(~np.isfinite(vectors).all(axis=1))
    if len(bad):
        raise UsageError(f"--v {v_file}: {len(bad)} row(s) with non-finite values (first: row {bad[0]})")
    return vectors


def check_out(out: Path, targets: list[Path], overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a folder")
    existing = [target.name for target in targets if target.exists()]
    if existing and not overwrite:
        raise UsageError(f"--out {out} already holds {len(existing)} of the PNGs to write ({existing[0]}, ...); "
                         f"pass --overwrite to replace them or choose another folder")


def warn_outside_ranges(vectors, ranges) -> None:
    """One line on stderr naming the factors with values outside the run's training ranges."""
    import numpy as np

    lo, hi = np.asarray(ranges, np.float64).T
    outside = (vectors < lo) | (vectors > hi)
    if outside.any():
        factors = ", ".join(f"{name} {low:g}..{high:g}" for name, low, high, hit in
                            zip(FACTORS, lo, hi, outside.any(axis=0)) if hit)
        click.echo(f"Warning: {outside.any(axis=1).sum()} of {len(vectors)} rows lie outside the ranges the run "
                   f"was trained on ({factors}); G extrapolates there", err=True)


def png_bytes(image) -> bytes:
    """An image in [0, 1] (C, S, S), quantised like ``generate_for_v``'s, as PNG bytes."""
    import io

    from PIL import Image

    array = image.mul(255).round().byte().permute(1, 2, 0).numpy()
    buffer = io.BytesIO()
    Image.fromarray(array.squeeze(2) if array.shape[2] == 1 else array).save(buffer, format="PNG")
    return buffer.getvalue()
