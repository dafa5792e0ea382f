"""Read a Fractal Dream Dataset as a torch Dataset of (image, parameter vector).

Two layouts are read:

- a folder written by ``fractaldream build`` or ``fractaldream interpolate``: ``params.csv``
  (``file``, ``palette``, x0, y0, a, b, c, d, ...) and ``build.json`` (the sampling ranges);
- the original Kaggle layout: PNG files named by their vector, ``x0_y0_a_b_c_d.png``, in any
  sub-folders (a file's palette is its folder's name); its ranges are a..d in [-3, 3] and
  x0, y0 in [-1, 1].

Normalisation maps each factor's sampling range [lo, hi] linearly onto [-1, 1]:
``u = 2 * (v - lo) / (hi - lo) - 1`` (with the default ranges: a..d divided by 3, x0 and y0 as
they are, the convention of the original study).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image
from torch.utils.data import Dataset
from torchvision.transforms.functional import pil_to_tensor

from fractaldream.errors import UsageError
from fractaldream.settings import FACTORS, BuildSettings, factor_ranges
from fractaldream.store import BUILD_JSON, PARAMS_CSV, read_json, read_params

#: The original Kaggle layout records no settings. Its images were drawn with the default ranges and the
#: float64 loop; how many points is not known: 200,000 re-renders them (what the bench has always used).
LEGACY_BUILD = BuildSettings(points=200_000, precision="float64")


def build_settings_of(root) -> BuildSettings:
    """The settings a folder was built with: its build.json, or the original Kaggle layout's."""
    path = Path(root) / BUILD_JSON
    return BuildSettings.from_description(read_json(path)) if path.is_file() else LEGACY_BUILD


def normalize(v, ranges: np.ndarray) -> np.ndarray:
    """Raw factor values (..., 6) -> [-1, 1], each factor's (lo, hi) in ``ranges`` (6, 2) mapped linearly."""
    low, high = ranges[:, 0], ranges[:, 1]
    return 2.0 * (np.asarray(v, np.float64) - low) / (high - low) - 1.0


def denormalize(u, ranges: np.ndarray) -> np.ndarray:
    """The inverse of :func:`normalize`."""
    low, high = ranges[:, 0], ranges[:, 1]
    return low + (np.asarray(u, np.float64) + 1.0) * (high - low) / 2.0


def read_table(root: Path) -> pd.DataFrame:
    """``params.csv`` of a built or interpolated folder (floats exact)."""
    return read_params(root / PARAMS_CSV, required=("file", "palette", "id", *FACTORS))


def read_row(root: Path, id_: int) -> tuple[BuildSettings, pd.Series]:
    """The build settings and the first row of attractor ``id_`` of a built folder."""
    if not (root / BUILD_JSON).is_file():
        raise UsageError(f"{root} has no {BUILD_JSON}: not a data set built by fractaldream")
    table = read_table(root)
    rows = table[table["id"] == id_]
    if rows.empty:
        raise UsageError(f"{root}/{PARAMS_CSV} has no attractor with id {id_}")
    return build_settings_of(root), rows.iloc[0]


def parse_legacy_name(path: Path) -> np.ndarray | None:
    """The vector in a file name ``x0_y0_a_b_c_d.png``, or None when the name is not one."""
    parts = path.stem.split("_")
    if len(parts) != 6:
        return None
    try:
        return np.array([float(p) for p in parts])
    except ValueError:
        return None


class FractalDreamDataset(Dataset):
    """Images of a Fractal Dream Dataset with their parameter vectors v = (x0, y0, a, b, c, d).

    An item is ``(image, v)``: ``transform(PIL RGB image)``, or without a transform a float32
    tensor 3 x H x W in [0, 1]; ``v`` a float32 tensor of 6, normalised to [-1, 1] (module
    docstring) unless ``normalize=False``. ``palette`` keeps one palette's images.
    """

    factors = FACTORS

    def __init__(self, root, palette: str | None = None, transform=None, normalize: bool = True):
        self.root = Path(root)
        if not self.root.is_dir():
            raise UsageError(f"{self.root} is not a folder")
        self.transform = transform
        self.normalize_vectors = normalize
        if (self.root / PARAMS_CSV).is_file():
            self._read_built(palette)
        else:
            self._read_legacy(palette)

    def _read_built(self, palette):
        if not (self.root / BUILD_JSON).is_file():
            raise UsageError(f"{self.root} has {PARAMS_CSV} but no {BUILD_JSON}")
        self.settings = read_json(self.root / BUILD_JSON)
        table = read_table(self.root)
        if palette is not None:
            table = table[table["palette"] == palette]
        self.files = [self.root / f for f in table["file"]]
        self.palettes = list(table["palette"])
        self.params = table[list(FACTORS)].to_numpy(np.float64)
        self._set_ranges(BuildSettings.from_description(self.settings))

    def _read_legacy(self, palette):
        self.settings = None
        named = [(p, parse_legacy_name(p)) for p in sorted(self.root.rglob("*.png"))]
        named = [(p, v) for p, v in named if v is not None and (palette is None or p.parent.name == palette)]
        self.files = [p for p, _ in named]
        self.palettes = [p.parent.name for p in self.files]
        self.params = np.array([v for _, v in named], dtype=np.float64).reshape(-1, len(FACTORS))
        self._set_ranges(LEGACY_BUILD)

    def _set_ranges(self, build: BuildSettings):
        self.ranges = np.array(factor_ranges(build.range_xy, build.range_abcd), dtype=np.float64)

    def normalize(self, v: np.ndarray) -> np.ndarray:
        return normalize(v, self.ranges)

    def denormalize(self, u: np.ndarray) -> np.ndarray:
        return denormalize(u, self.ranges)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int):
        with Image.open(self.files[index]) as file:
            image = file.convert("RGB")
        image = self.transform(image) if self.transform is not None else pil_to_tensor(image).float() / 255.0
        v = self.normalize(self.params[index]) if self.normalize_vectors else self.params[index]
        return image, torch.from_numpy(v.astype(np.float32))
