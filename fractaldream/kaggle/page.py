"""The data set's page on Kaggle: its subtitle and its description (markdown), written from build.json.

The page tells how to build the data set again: the ``fractaldream build`` command and the render call
are generated from the recorded settings, so they reproduce the images exactly.
"""

import dataclasses
import json

from fractaldream import store
from fractaldream.kaggle.folder import palette_zip
from fractaldream.settings import BuildSettings

#: The folder the page's commands build into and download to.
FOLDER = "fractal-dream-dataset"

#: Kaggle type and description of every params.csv column (store.COLUMNS, in order).
COLUMN_DOCS = {
    "file": ("string", "image path relative to the data set folder: images/<palette>/<id:07d>.png"),
    "palette": ("string", "colour map the visit counts were shaded with"),
    "id": ("integer", "attractor number 0..N-1, shared by the palettes of one attractor"),
    "candidate": ("integer", "index of the parameter draw in the seed's stream (rejected draws count too)"),
    "x0": ("numeric", "start point x"),
    "y0": ("numeric", "start point y"),
    "a": ("numeric", "parameter a of y' = sin(a*x) + d*sin(a*y)"),
    "b": ("numeric", "parameter b of x' = sin(b*y) + c*sin(b*x)"),
    "c": ("numeric", "parameter c of x' = sin(b*y) + c*sin(b*x)"),
    "d": ("numeric", "parameter d of y' = sin(a*x) + d*sin(a*y)"),
    "xmin": ("numeric", "smallest x of the kept trajectory: the left edge of the image"),
    "xmax": ("numeric", "largest x of the kept trajectory: the right edge of the image"),
    "ymin": ("numeric", "smallest y of the kept trajectory: the bottom edge of the image"),
    "ymax": ("numeric", "largest y of the kept trajectory: the top edge of the image"),
    "coverage": ("numeric", "fraction of pixels the trajectory visits at least once"),
    "lyapunov": ("numeric", "largest Lyapunov exponent of the orbit (natural log per step; > 0 means chaotic)"),
}


def subtitle(attractors: int, size: int) -> str:
    return f"{attractors:,} strange attractors as {size}x{size} images, with their exact parameters"


def render_call(build: BuildSettings) -> str:
    """The ``render`` call that draws a row ``raw`` of the data set as stored (in its first palette)."""
    # min_coverage only judges an attractor: it does not change an image.
    image = {k: v for k, v in dataclasses.asdict(build.render).items() if k != "min_coverage"}
    image["palette"] = build.palettes[0]
    return f"fractaldream.render.render(raw, {', '.join(f'{k}={v!r}' for k, v in image.items())})"


def description(settings: dict, table, dataset_id: str, zip_per_palette: bool) -> str:
    """The data set's Kaggle page, in markdown; ``settings`` as build.json records them."""
    build = BuildSettings.from_description(settings)
    abcd, xy = build.range_abcd, build.range_xy
    columns = "\n".join(f"| `{c}` | {COLUMN_DOCS[c][0]} | {COLUMN_DOCS[c][1]} |" for c in store.COLUMNS)
    setting_rows = "\n".join(f"| `{k}` | `{json.dumps(v)}` |" for k, v in settings.items()
                             if not isinstance(v, dict) and k not in ("attractor", "sampling"))
    images = (f"The images come as one zip per palette (`{palette_zip('<palette>')}`); unzip them in the data set "
              "folder to get `images/<palette>/`." if zip_per_palette else "The images lie in `images/<palette>/`.")
    return f"""\
# The Fractal Dream Dataset

Every image is a *Fractal Dream* strange attractor (C. Pickover, *Chaos in Wonderland*, 1995) at a
known point v = (x0, y0, a, b, c, d) of its parameter space, so a model's latent space can be compared
with the true factors of variation. From the start point (x0, y0) the map

    x' = sin(b*y) + c*sin(b*x)
    y' = sin(a*x) + d*sin(a*y)

is iterated {build.burn_in:,} times unseen, then {build.points:,} times; each pixel's shade
counts the visits of the trajectory to it (x grows to the right, y upwards; the image spans the
trajectory's bounding box).

This version holds {table['id'].nunique():,} attractors in {len(table):,} RGB PNG images of
{build.size}x{build.size} pixels, one per palette ({', '.join(build.palettes)}). a, b, c, d were drawn uniformly
in [{abcd[0]}, {abcd[1]}] and x0, y0 in [{xy[0]}, {xy[1]}]; draws whose orbit diverges, falls on a
fixed point or a short cycle, or covers less than {build.min_coverage:.0%} of the pixels were
rejected. {images}

## Build it yourself

The images are exactly reproducible with the `fractaldream` package:

    {build.command(settings['n'], FOLDER)}

Settings (from `build.json`):

| setting | value |
|---|---|
{setting_rows}

## params.csv

| column | type | meaning |
|---|---|---|
{columns}

## Load it

    kaggle datasets download -d {dataset_id} --unzip -p {FOLDER}

```python
from fractaldream import FractalDreamDataset

data = FractalDreamDataset("{FOLDER}", palette="{build.palettes[0]}")
image, v = data[0]  # image: float32 3xHxW in [0, 1]; v: (x0, y0, a, b, c, d) mapped to [-1, 1]
raw = data.denormalize(v.numpy())  # back to the parameters of params.csv
```

`{render_call(build)}`
re-renders any row of that palette, its x0, y0, a, b, c, d from `params.csv` as `raw`.
"""
