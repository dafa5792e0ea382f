"""Render along a straight line in parameter space: v(t) = (1 - t) * v_from + t * v_to, t in [0, 1].

The output folder reads like a build (``build.json``, ``params.csv``, ``images/<palette>/``), so
``FractalDreamDataset`` opens it; its table has ``t`` and ``status`` instead of ``candidate``.
Degenerate points of the line are kept (the status column says why): the line is the line.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from fractaldream import __version__, store
from fractaldream.attractor import FACTORS
from fractaldream.build import CHUNK, encode_png
from fractaldream.errors import UsageError
from fractaldream.render import PRECISIONS, RenderSettings, iterate_batch
from fractaldream.shade import PALETTES

COLUMNS = ("file", "palette", "id", "t", *FACTORS, "xmin", "xmax", "ymin", "ymax", "coverage", "lyapunov", "status")


def describe(start, end, steps, size, points, burn_in, palette, precision) -> dict:
    return {"attractor": "fractal_dream", "kind": "interpolation", "version": __version__,
            "from": [float(v) for v in start], "to": [float(v) for v in end], "steps": steps, "n": steps,
            "size": size, "points": points, "burn_in": burn_in, "palettes": [palette],
            "range_abcd": [-3.0, 3.0], "range_xy": [-1.0, 1.0], "precision": precision}


def interpolate(start, end, steps: int, out, size: int = 128, points: int = 1_000_000, burn_in: int = 100,
                palette: str = "blue", progress: bool = True, precision: str = "float32") -> pd.DataFrame:
    """Render ``steps`` images from ``start`` to ``end`` into ``out``; return the table written."""
    if steps < 2:
        raise UsageError(f"--steps must be at least 2, got {steps}")
    if size < 8:
        raise UsageError(f"--size must be at least 8, got {size}")
    if points < 1 or burn_in < 0:
        raise UsageError("--points must be at least 1 and --burn-in not negative")
    if palette not in PALETTES:
        raise UsageError(f"unknown palette {palette!r}; choose from {', '.join(PALETTES)}")
    out = Path(out)
    if precision not in PRECISIONS:
        raise UsageError(f"--precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    description = describe(start, end, steps, size, points, burn_in, palette, precision)
    _check_output(out, description)
    (out / store.IMAGES / palette).mkdir(parents=True, exist_ok=True)
    store.write_json(out / store.BUILD_JSON, description)

    settings = RenderSettings(size=size, points=points, burn_in=burn_in, precision=precision)
    start, end = np.asarray(start, np.float64), np.asarray(end, np.float64)
    ts = np.linspace(0.0, 1.0, steps)
    line = (1.0 - ts[:, None]) * start + ts[:, None] * end
    rows = []
    with tqdm(total=steps, unit="img", desc="interpolate", disable=not progress) as bar:
        for first in range(0, steps, CHUNK):  # in lockstep, as the builder does: a vector's image is the same
            for id_, attractor in enumerate(iterate_batch(line[first:first + CHUNK], settings), first):
                file = store.image_path(palette, id_)
                store.write_atomic(out / file, encode_png(attractor.image(palette)))
                rows.append((file, palette, id_, float(ts[id_]), *map(float, attractor.params),
                             *map(float, attractor.bounds), float(attractor.coverage), float(attractor.lyapunov),
                             attractor.status))
                bar.update()
    store.write_atomic(out / store.PARAMS_CSV, (",".join(COLUMNS) + "\n").encode() + store.format_rows(rows))
    return pd.DataFrame(rows, columns=COLUMNS)


def _check_output(out: Path, description: dict) -> None:
    """A new or empty folder, or one this same interpolation was writing (it is redone)."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder")
    if not out.exists() or not any(out.iterdir()):
        return
    recorded = store.read_json(out / store.BUILD_JSON) if (out / store.BUILD_JSON).is_file() else None
    if recorded != description:
        raise UsageError(f"{out} already holds other files; choose an empty or new folder")
