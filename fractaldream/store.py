"""The on-disk layout of a built data set: ``build.json``, ``params.csv`` and ``images/<palette>/``.

Every file is written under a temporary name and renamed into place; ``params.csv`` gets the rows
of one attractor (all its palettes) in a single append, only after its images exist. A build killed
at any moment therefore leaves at worst a partial last line, temporary files, or images without a
row, and :func:`inspect` finds each of them without changing anything. It also checks that the
table is whole (attractors 0..count-1, one row per palette, each value a number where one belongs)
and names what is not: a rerun repairs what the build owns and refuses anything else.
"""

import contextlib
import json
import os
import re
from io import BytesIO
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fractaldream.errors import FractalDreamError, UsageError
from fractaldream.lock import LOCK_FILE
from fractaldream.palettes import PALETTES
from fractaldream.settings import FACTORS

COLUMNS = ("file", "palette", "id", "candidate", *FACTORS, "xmin", "xmax", "ymin", "ymax", "coverage", "lyapunov")
HEADER = ",".join(COLUMNS) + "\n"
BUILD_JSON = "build.json"
PARAMS_CSV = "params.csv"
IMAGES = "images"
TMP_SUFFIX = ".tmp"
TEXT_COLUMNS = ("file", "palette")
WHOLE_COLUMNS = ("id", "candidate")
#: What the build writes under images/<palette>/: its images, and their temporaries while they are written.
IMAGE_NAME = re.compile(r"\d{7}\.png")
IMAGE_TEMPORARY = re.compile(r"\.\d{7}\.png" + re.escape(TMP_SUFFIX))
_BEFORE_BUILD_JSON = {LOCK_FILE, f".{BUILD_JSON}{TMP_SUFFIX}"}


def image_path(palette: str, id_: int) -> str:
    return f"{IMAGES}/{palette}/{id_:07d}.png"


def write_atomic(path: Path, data: bytes) -> None:
    """``path`` holds ``data`` whole, or keeps what it held: a failed write (a full disk) leaves no temporary."""
    tmp = path.with_name(f".{path.name}{TMP_SUFFIX}")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_json(path: Path, obj) -> None:
    """Write ``obj`` as JSON; a file that holds it already is left untouched (it may be on read-only media)."""
    data = (json.dumps(obj, indent=2) + "\n").encode()
    if not (path.is_file() and path.read_bytes() == data):
        write_atomic(path, data)


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

    Every ``required`` column must be present and filled in every row, with a finite number in each
    column but the text ones (``file``, ``palette``), a whole number not below 0 in ``id`` and ``candidate``.
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
    for column in required:
        if column not in TEXT_COLUMNS:
            table[column] = _numbers(table[column], column in WHOLE_COLUMNS, path)
    return table


def _numbers(column: pd.Series, whole: bool, path: Path) -> pd.Series:
    """``column`` as numbers, or an error naming the first line whose value is not one."""
    values = pd.to_numeric(column, errors="coerce").astype(np.float64)
    wrong = ~np.isfinite(values)
    if whole:
        wrong |= (values < 0) | (values != np.floor(values))
    if wrong.any():
        row = int(np.flatnonzero(wrong)[0])
        kind = "a whole number from 0" if whole else "a finite number"
        raise FractalDreamError(f"damaged {path}: line {row + 2}, column {column.name}: "
                                f"{str(column.iloc[row])!r} is not {kind}")
    return values.astype(np.int64) if whole else values


@dataclass
class Existing:
    """What a previous (possibly killed) build left in a folder, found without writing anything."""

    settings: dict | None = None
    palettes: tuple[str, ...] = ()
    table: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COLUMNS))
    csv_keep_bytes: int | None = None  # truncate params.csv to this length before appending
    stray_files: list[Path] = field(default_factory=list)  # the build's temporaries, its images without a row
    missing_images: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COLUMNS))  # rows

    @property
    def count(self) -> int:
        return int(self.table["id"].nunique()) if len(self.table) else 0

    @property
    def next_candidate(self) -> int:
        return int(self.table["candidate"].max()) + 1 if len(self.table) else 0


def refuse_foreign(out: Path) -> None:
    """Refuse, before taking its lock, a path that is not a folder, or a folder that holds files but no build.

    A folder with the writer lock in it is one a build began in (and may be writing now): :func:`inspect`
    looks at it once the lock is held.
    """
    if not (out / LOCK_FILE).exists():
        _refuse_not_a_build(out)


def _refuse_not_a_build(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder")
    if _holds_files(out) and not (out / BUILD_JSON).is_file():
        raise UsageError(f"{out} holds files that are not a Fractal Dream build; choose an empty or new folder")


def _holds_files(out: Path) -> bool:
    """Anything but what a build that was refused, failed or killed before its build.json may leave behind."""
    return out.is_dir() and any(path.name not in _BEFORE_BUILD_JSON for path in out.iterdir())


def inspect(out: Path) -> Existing:
    """Read a build folder; refuse one that holds other files or a damaged table."""
    _refuse_not_a_build(out)
    if not _holds_files(out):
        return Existing()
    settings = read_json(out / BUILD_JSON)
    if settings.get("attractor") != "fractal_dream" or "kind" in settings:  # an interpolation has a kind
        raise UsageError(f"{out / BUILD_JSON} does not describe a Fractal Dream build")
    existing = Existing(settings=settings, palettes=_recorded_palettes(settings, out / BUILD_JSON))
    csv_path = out / PARAMS_CSV
    if csv_path.is_file():
        raw = csv_path.read_bytes()
        existing.table, keep = _finished_attractors(raw, existing.palettes, csv_path)
        if keep != len(raw):
            existing.csv_keep_bytes = keep
    present = [(out / f).is_file() for f in existing.table["file"]]
    existing.missing_images = existing.table[~np.array(present, bool)]
    existing.stray_files = _stray_files(out, existing)
    return existing


def _recorded_palettes(settings: dict, path: Path) -> tuple[str, ...]:
    palettes = settings.get("palettes")
    if not isinstance(palettes, list) or not palettes or not all(p in PALETTES for p in palettes):
        raise FractalDreamError(f"damaged {path}: palettes {palettes!r} are not a list of known palettes")
    return tuple(palettes)


def _finished_attractors(raw: bytes, palettes, path: Path) -> tuple[pd.DataFrame, int]:
    """The table of the attractors that have all their rows, and the length of params.csv that holds them.

    Only the last attractor may be unfinished (a killed build), and only the last line partial.
    """
    if HEADER.encode().startswith(raw):  # empty, or killed while writing the header
        return Existing().table, 0
    if not raw.startswith(HEADER.encode()):
        raise FractalDreamError(f"damaged {path}: its header is not {HEADER.strip()}")
    keep = raw.rfind(b"\n") + 1
    table = read_params(path, raw[:keep])
    if not len(table):
        return table, keep
    _check_rows(table, palettes, path)
    starts = _check_order(table, path)
    sizes = np.diff(np.r_[starts, len(table)])
    _check_complete(table, starts[:-1], sizes[:-1], palettes, path)
    if sizes[-1] < len(palettes):  # the last attractor is unfinished: drop its rows
        table = table.iloc[:starts[-1]]
        keep = _end_of_line(raw, 1 + len(table))  # the header, then the kept rows
    _check_agreement(table, path)
    return table.reset_index(drop=True), keep


def _end_of_line(raw: bytes, lines: int) -> int:
    """The length of the first ``lines`` lines of ``raw``."""
    end = 0
    for _ in range(lines):
        end = raw.index(b"\n", end) + 1
    return end


def _check_rows(table: pd.DataFrame, palettes, path: Path) -> None:
    """Each row names one of the build's palettes and the build's file for it, and no row is there twice."""
    foreign = np.flatnonzero(~table["palette"].isin(palettes))
    if len(foreign):
        row = foreign[0]
        raise FractalDreamError(f"damaged {path}: line {row + 2} has palette {table['palette'].iloc[row]!r}; "
                                f"the build has {', '.join(palettes)}")
    expected = [image_path(p, i) for p, i in zip(table["palette"], table["id"])]
    wrong = np.flatnonzero(table["file"].to_numpy() != np.array(expected))
    if len(wrong):
        row = wrong[0]
        raise FractalDreamError(f"damaged {path}: line {row + 2} names file {table['file'].iloc[row]!r}, "
                                f"not {expected[row]!r}")
    again = np.flatnonzero(table.duplicated(["id", "palette"]))
    if len(again):
        row = again[0]
        id_, palette = table["id"].iloc[row], table["palette"].iloc[row]
        first = np.flatnonzero((table["id"] == id_) & (table["palette"] == palette))[0]
        raise FractalDreamError(f"damaged {path}: line {row + 2} duplicates line {first + 2} "
                                f"(attractor {id_}, palette {palette}); remove the duplicated row")


def _check_order(table: pd.DataFrame, path: Path) -> np.ndarray:
    """Attractors 0, 1, 2, ... each in consecutive rows; return the row where each starts."""
    ids = table["id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    wrong = np.flatnonzero(ids[starts] != np.arange(len(starts)))
    if len(wrong):
        k = int(wrong[0])
        line, found = starts[k] + 2, ids[starts[k]]
        if found > k:
            raise FractalDreamError(f"damaged {path}: attractor {k} has no rows (line {line} holds attractor "
                                    f"{found}); restore its rows, or build into a new folder")
        raise FractalDreamError(f"damaged {path}: line {line} returns to attractor {found} after attractor {k - 1}; "
                                f"the rows of an attractor belong together, in id order")
    candidates = table["candidate"].to_numpy()[starts]
    back = np.flatnonzero(np.diff(candidates) <= 0)
    if len(back):
        k = int(back[0]) + 1
        raise FractalDreamError(f"damaged {path}: line {starts[k] + 2}: attractor {k} has candidate {candidates[k]}, "
                                f"not after attractor {k - 1}'s {candidates[k - 1]}")
    return starts


def _check_complete(table: pd.DataFrame, starts, sizes, palettes, path: Path) -> None:
    """Every attractor given (all but the last) has a row for each palette."""
    short = np.flatnonzero(sizes < len(palettes))
    if len(short):
        start, size = starts[short[0]], sizes[short[0]]
        present = set(table["palette"].iloc[start:start + size])
        missing = [p for p in palettes if p not in present]
        raise FractalDreamError(f"damaged {path}: attractor {short[0]} (line {start + 2}) has no row for palette "
                                f"{', '.join(missing)}; restore it, or build into a new folder")


def _check_agreement(table: pd.DataFrame, path: Path) -> None:
    """The rows of one attractor agree on everything but their palette and file."""
    differing = table.drop(columns=list(TEXT_COLUMNS)).groupby("id").nunique() > 1
    if differing.to_numpy().any():
        id_ = differing.index[differing.any(axis=1)][0]
        column = differing.columns[differing.loc[id_]][0]
        raise FractalDreamError(f"damaged {path}: the rows of attractor {id_} differ in {column}")


def _stray_files(out: Path, existing: Existing) -> list[Path]:
    """The build's own files that no row lists: temporaries, and images of attractors without rows.

    Anything else (a user's files, under images/ or not) is left alone.
    """
    listed = set(existing.table["file"])
    strays = [path for path in [out / f".{BUILD_JSON}{TMP_SUFFIX}"] if path.is_file()]
    for palette in existing.palettes:
        folder = out / IMAGES / palette
        for path in sorted(folder.iterdir()) if folder.is_dir() else ():
            owned = IMAGE_TEMPORARY.fullmatch(path.name) or (
                IMAGE_NAME.fullmatch(path.name) and f"{IMAGES}/{palette}/{path.name}" not in listed)
            if owned and path.is_file():
                strays.append(path)
    return strays


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
            self._append(HEADER.encode())

    def append(self, rows) -> None:
        self._append(format_rows(rows))

    def _append(self, data: bytes) -> None:
        """All of ``data``, or nothing: a write that fails (a full disk) cuts the file back to where it ended."""
        end = os.lseek(self._fd, 0, os.SEEK_END)
        rest = memoryview(data)
        try:
            while rest:
                rest = rest[os.write(self._fd, rest):]
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, end)
            raise

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
