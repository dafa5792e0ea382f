"""Render along a straight line in parameter space: v(t) = (1 - t) * v_from + t * v_to, t in [0, 1].

:func:`render_line` computes the attractors in memory; :func:`interpolate` writes them as a folder
that reads like a build (``build.json``, ``params.csv``, ``images/<palette>/``), so
``FractalDreamDataset`` opens it; its table has ``t`` and ``status`` instead of ``candidate``.
Degenerate points of the line are kept (the status column says why): the line is the line.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from fractaldream import __version__, store
from fractaldream.build import CHUNK, MAX_N
from fractaldream.errors import UsageError
from fractaldream.palettes import DEFAULT_PALETTE
from fractaldream.png import encode_png
from fractaldream.render import Attractor, iterate_batch
from fractaldream.settings import FACTORS, BuildSettings, RenderSettings, check_palette, check_within

COLUMNS = ("file", "palette", "id", "t", *FACTORS, "xmin", "xmax", "ymin", "ymax", "coverage", "lyapunov", "status")


def render_line(start, end, steps: int, settings: RenderSettings,
                progress: bool = False) -> tuple[np.ndarray, list[Attractor]]:
    """The ``steps`` values of t, evenly from 0 to 1, and the attractors of v(t).

    They are iterated in lockstep batches as the builder iterates them, so a vector gets the image it has in a build.
    """
    check_within("--steps", steps, 2, MAX_N)
    settings.validate()
    start, end = np.asarray(start, np.float64), np.asarray(end, np.float64)
    ts = np.linspace(0.0, 1.0, steps)
    line = (1.0 - ts[:, None]) * start + ts[:, None] * end
    attractors = []
    with tqdm(total=steps, unit="img", desc="interpolate", disable=not progress) as bar:
        for first in range(0, steps, CHUNK):
            attractors += iterate_batch(line[first:first + CHUNK], settings)
            bar.update(len(line[first:first + CHUNK]))
    return ts, attractors


def describe(start, end, steps: int, settings: RenderSettings, palette: str) -> dict:
    """The content of the line's build.json: the sampling ranges are the builder's defaults (for normalising v)."""
    defaults = BuildSettings()
    return {"attractor": "fractal_dream", "kind": "interpolation", "version": __version__,
            "from": [float(v) for v in start], "to": [float(v) for v in end], "steps": steps, "n": steps,
            "size": settings.size, "points": settings.points, "burn_in": settings.burn_in, "palettes": [palette],
            "range_abcd": list(defaults.range_abcd), "range_xy": list(defaults.range_xy),
            "precision": settings.precision}


def interpolate(start, end, steps: int, out, settings: RenderSettings = RenderSettings(),
                palette: str = DEFAULT_PALETTE, progress: bool = True) -> pd.DataFrame:
    """Render ``steps`` images from ``start`` to ``end`` into ``out``; return the table written."""
    check_palette(palette)
    out = Path(out)
    description = describe(start, end, steps, settings, palette)
    _check_output(out, description)
    ts, attractors = render_line(start, end, steps, settings, progress)
    (out / store.IMAGES / palette).mkdir(parents=True, exist_ok=True)
    store.write_json(out / store.BUILD_JSON, description)
    rows = []
    for id_, (t, attractor) in enumerate(zip(ts, attractors)):
        file = store.image_path(palette, id_)
        store.write_atomic(out / file, encode_png(attractor.image(palette)))
        rows.append((file, palette, id_, float(t), *map(float, attractor.params), *map(float, attractor.bounds),
                     float(attractor.coverage), float(attractor.lyapunov), attractor.status))
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
