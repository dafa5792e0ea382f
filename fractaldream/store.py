"""The on-disk layout of a built data set: ``build.json``, ``params.csv`` and ``images/<palette>/``.

Every file is written under a temporary name and renamed into place; ``params.csv`` gets the rows
of one attractor (all its palettes) in a single append, only after its images exist. A build killed
at any moment therefore leaves at worst a partial last line, temporary files, or images without a
row, and :func:`inspect` finds each of them without changing anything.
"""

import json
import os
from io import BytesIO
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fractaldream.settings import FACTORS
from fractaldream.errors import FractalDreamError, UsageError

COLUMNS = ("file", "palette", "id", "candidate", *FACTORS, "xmin", "xmax", "ymin", "ymax", "coverage", "lyapunov")
HEADER = ",".join(COLUMNS) + "\n"
BUILD_JSON = "build.json"
PARAMS_CSV = "params.csv"
IMAGES = "images"
TMP_SUFFIX = ".tmp"


def image_path(palette: str, id_: int) -> str:
    return f"{IMAGES}/{palette}/{id_:07d}.png"


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}{TMP_SUFFIX}")
    with open(tmp, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def write_json(path: Path, obj) -> None:
    write_atomic(path, (json.dumps(obj, indent=2) + "\n").encode())


def read_json(path: Path) -> dict:
    try:
        obj = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise FractalDreamError(f"{path} is not readable JSON ({error})") from None
    if not isinstance(obj, dict):
        raise FractalDreamError(f"{path} is not a build description")
    return obj


def format_rows(rows) -> bytes:
    """CSV lines; floats as repr so every value reads back bit for bit."""
    return "".join(",".join(v if isinstance(v, str) else repr(v) for v in row) + "\n" for row in rows).encode()


def read_params(path: Path, raw: bytes | None = None, required=COLUMNS) -> pd.DataFrame:
    """The table as written (floats exact), or a one-line error naming what is damaged.

    Every ``required`` column must be present and filled in every row.
    """
    try:
        raw = path.read_bytes() if raw is None else raw
        table = pd.read_csv(BytesIO(raw), dtype={"file": str, "palette": str})
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise FractalDreamError(f"damaged {path}: {' '.join(str(error).split())}") from None
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise FractalDreamError(f"damaged {path}: missing columns {', '.join(missing)}")
    incomplete = table[list(required)].isna().any(axis=1)
    if incomplete.any():
        raise FractalDreamError(f"damaged {path}: incomplete row {int(np.flatnonzero(incomplete)[0]) + 2}")
    return table


@dataclass
class Existing:
    """What a previous (possibly killed) build left in a folder, found without writing anything."""

    settings: dict | None = None
    table: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COLUMNS))
    csv_keep_bytes: int | None = None  # truncate params.csv to this length before appending
    stray_files: list[Path] = field(default_factory=list)  # temporaries and images without a row

    @property
    def count(self) -> int:
        return int(self.table["id"].nunique()) if len(self.table) else 0

    @property
    def next_candidate(self) -> int:
        return int(self.table["candidate"].max()) + 1 if len(self.table) else 0


def inspect(out: Path, palettes) -> Existing:
    """Read a build folder; refuse one that holds other files or a damaged table."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder")
    if not out.exists() or not any(out.iterdir()):
        return Existing()
    if not (out / BUILD_JSON).is_file():
        raise UsageError(f"{out} holds files that are not a Fractal Dream build; choose an empty or new folder")
    existing = Existing(settings=read_json(out / BUILD_JSON))
    csv_path = out / PARAMS_CSV
    if csv_path.is_file():
        raw = csv_path.read_bytes()
        if not raw.startswith(HEADER.encode()):
            raise FractalDreamError(f"damaged {csv_path}: its header is not {HEADER.strip()}")
        keep = raw.rfind(b"\n") + 1
        table = read_params(csv_path, raw[:keep])
        table, keep = _drop_unfinished_attractor(table, raw[:keep], palettes, csv_path)
        existing.table = table
        if keep != len(raw):
            existing.csv_keep_bytes = keep
    listed = {out / f for f in existing.table["file"]}
    images = out / IMAGES
    if images.is_dir():
        existing.stray_files = sorted(p for p in images.rglob("*") if p.is_file() and p not in listed)
    existing.stray_files += sorted(out.glob(f".*{TMP_SUFFIX}"))
    return existing


def _drop_unfinished_attractor(table, raw: bytes, palettes, path):
    """Keep only attractors with a row for every palette; only the last one may be unfinished."""
    if not len(table):
        return table, len(raw)
    per_id = table.groupby("id", sort=False)["palette"].apply(tuple)
    complete = per_id.map(lambda p: sorted(p) == sorted(palettes))
    if complete.all():
        return table, len(raw)
    if not complete.iloc[:-1].all():
        raise FractalDreamError(f"damaged {path}: attractor {per_id.index[~complete][0]} lacks palettes")
    last = per_id.index[-1]
    kept_rows = int((table["id"] != last).sum())
    keep = 0
    for _ in range(kept_rows + 1):  # the header, then the kept rows
        keep = raw.index(b"\n", keep) + 1
    return table[table["id"] != last].reset_index(drop=True), keep


def repair(out: Path, existing: Existing) -> None:
    """Undo what a killed build left half done (see :func:`inspect`)."""
    if existing.csv_keep_bytes is not None:
        os.truncate(out / PARAMS_CSV, existing.csv_keep_bytes)
    for path in existing.stray_files:
        path.unlink(missing_ok=True)


class ParamsWriter:
    """Appends the rows of one attractor at a time, each in one write."""

    def __init__(self, path: Path):
        new = not path.exists() or path.stat().st_size == 0
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        if new:
            os.write(self._fd, HEADER.encode())

    def append(self, rows) -> None:
        os.write(self._fd, format_rows(rows))

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
