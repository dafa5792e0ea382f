"""What the explorer starts from: a built data set's table and render settings, or the defaults without one."""

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fractaldream.errors import UsageError
from fractaldream.render import RenderSettings
from fractaldream.settings import FACTORS
from fractaldream.store import BUILD_JSON, PARAMS_CSV, read_json, read_params

#: The first example vector of the original study's report.
STUDY_EXAMPLE = (-0.00545687187361743, -0.5312304575586382, 1.8197494653032407, 2.422111729355857,
                 1.4944898296889655, 2.487490210145214)
#: Without a data set: 128x128 like the original images, few enough points to re-render while a slider moves,
#: and the builder's own rejection threshold so the status says whether a build would keep v.
LIVE_SETTINGS = RenderSettings(size=128, points=250_000, burn_in=100, min_coverage=0.05, precision="float32")
RANGE_XY = (-1.0, 1.0)
RANGE_ABCD = (-3.0, 3.0)

#: Columns a map can put on an axis or colour by: name -> label.
AXES = {**{f: f for f in FACTORS}, **{f"abs_{f}": f"|{f}|" for f in "abcd"},
        "coverage": "coverage", "lyapunov": "Lyapunov exponent"}


@dataclass(frozen=True)
class Start:
    """The live view's first state and slider ranges."""

    v: tuple[float, ...]
    settings: RenderSettings
    palette: str
    ranges: dict[str, tuple[float, float]]


@dataclass(frozen=True)
class MapData:
    """A built data set: ``points`` has one row per attractor (its first palette's row of params.csv, plus the
    derived AXES columns); ``files[palette]`` maps an attractor's id to its image file."""

    root: Path
    build: dict
    points: pd.DataFrame
    files: dict[str, dict[int, str]]

    def image_file(self, id_: int, palette: str) -> Path:
        """The stored image of attractor ``id_``, in ``palette`` when the data set has it."""
        files = self.files.get(palette) or next(iter(self.files.values()))
        return self.root / files[id_]

    def start(self) -> Start:
        """Live settings equal to the build's, so a picked row re-renders to its stored image bit for bit."""
        settings = RenderSettings(size=self.build["size"], points=self.build["points"], burn_in=self.build["burn_in"],
                                  min_coverage=self.build.get("min_coverage", 0.0),
                                  precision=self.build.get("precision", "float64"))  # older sets were float64
        v = tuple(float(x) for x in self.points.loc[self.points.index[0], list(FACTORS)])
        return Start(v, settings, self.build["palettes"][0], factor_ranges(self.build))


def factor_ranges(build: dict | None) -> dict[str, tuple[float, float]]:
    build = build or {}
    xy, abcd = tuple(build.get("range_xy", RANGE_XY)), tuple(build.get("range_abcd", RANGE_ABCD))
    return {f: xy if f in ("x0", "y0") else abcd for f in FACTORS}


def default_start() -> Start:
    return Start(STUDY_EXAMPLE, LIVE_SETTINGS, "blue", factor_ranges(None))


def load_map_data(directory) -> MapData:
    """Read a folder written by ``fractaldream build`` or ``fractaldream interpolate``; one-line errors otherwise."""
    root = Path(directory)
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder")
    missing = [name for name in (PARAMS_CSV, BUILD_JSON) if not (root / name).is_file()]
    if missing:
        raise UsageError(f"{root} is not a data set built by fractaldream (no {' or '.join(missing)})")
    build = read_json(root / BUILD_JSON)
    absent = [key for key in ("size", "points", "burn_in", "palettes") if key not in build]
    if absent:
        raise UsageError(f"{root / BUILD_JSON} lacks {', '.join(absent)}: not written by fractaldream build")
    table = read_params(root / PARAMS_CSV, required=("file", "palette", "id", *FACTORS))  # read_table without torch
    if table.empty:
        raise UsageError(f"{root / PARAMS_CSV} has no attractors yet")
    for column in ("coverage", "lyapunov"):
        if column not in table:
            raise UsageError(f"{root / PARAMS_CSV} has no {column} column")
    files = {palette: dict(zip(rows["id"], rows["file"])) for palette, rows in table.groupby("palette", sort=False)}
    points = table.drop_duplicates("id").reset_index(drop=True)
    for factor in "abcd":
        points[f"abs_{factor}"] = points[factor].abs()
    return MapData(root, build, points, files)
