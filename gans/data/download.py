"""Fetching the Kaggle data sets (their ids and image counts are in their ``gans.datasets`` records).

A download goes to ``<target>.download/`` beside the target (the zip, kept until it is unpacked, so
an interrupted run resumes there), is unpacked into a staging folder after every entry of the zip
was checked (no entry escapes the folder or is a link, no name is there twice or names both a file and
a folder, no entry grows more than ``MAX_RATIO``-fold, and the whole fits the data set's ``size_limit``),
and the staging folder is renamed to the target with its completion marker inside: the target either
does not exist or holds a complete, counted data set.
"""

import json
import os
import shutil
import stat
import zipfile
from collections import Counter
from pathlib import Path, PurePosixPath

import click
from tqdm import tqdm

from fractaldream.errors import FractalDreamError, UsageError
from fractaldream.kaggle import client as kaggle_client
from gans.data.cache import cache_dir
from gans.data.files import IMAGE_SUFFIXES
from gans.datasets import DATASETS, DOWNLOAD_MARKER as MARKER, kaggle_datasets

#: Owners publish new versions of a data set (the Simpsons set loses bad crops when cleaned: about
#: 9,629 of 9,877 remain), so image counts within TOLERANCE of the record's are accepted with a note;
#: a count further off means a different or truncated archive.
TOLERANCE = 0.05
#: The most an image of a data set may take unpacked, its share of the archive's other files (tables, a
#: nested copy) included: the published images are JPEG and PNG files of a few hundred pixels a side, far
#: smaller, and even an uncompressed 512x512 RGB image fits. Times the record's image count, it bounds the archive.
MAX_BYTES_PER_IMAGE = 1 << 20
#: Images barely shrink in a zip, and text tables shrink about tenfold; a zip bomb's entries shrink up to a
#: thousandfold. An entry (larger than one image) or the whole archive growing more than this is refused.
MAX_RATIO = 100


def is_complete(folder: Path) -> bool:
    return (Path(folder) / MARKER).is_file()


def download(name: str, out=None, client=None) -> Path:
    """Fetch the Kaggle data set ``name`` into ``out`` (default: its cache folder); return that folder."""
    if name not in kaggle_datasets():
        raise UsageError(f"unknown Kaggle data set {name!r}; choose from {', '.join(kaggle_datasets())}")
    target = (Path(out) if out is not None else cache_dir(name)).absolute()
    if is_complete(target):
        click.echo(f"{name}: already downloaded in {target}")
        return target
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"{target} already holds files that are not a completed download of {name}; "
                         "empty it or choose another --out")
    api = client if client is not None else kaggle_client.client()
    kaggle_id = DATASETS[name].kaggle_id
    work = target.with_name(f".{target.name}.download")
    work.mkdir(parents=True, exist_ok=True)
    archive = work / f"{kaggle_id.split('/')[1]}.zip"
    try:
        api.dataset_download_files(kaggle_id, path=str(work), force=False, quiet=False, unzip=False)
    except Exception as error:  # HTTP errors, no network: the zip so far stays for the next run
        raise FractalDreamError(f"{name}: download of {kaggle_id} failed: {kaggle_client.redact(error)}") from None
    if not archive.is_file():
        raise FractalDreamError(f"{name}: the kaggle package reported no error but wrote no {archive}")
    refuse_unsafe(archive, size_limit(name))
    folder, count = count_images(archive)
    _check_count(name, folder, count, work)
    staging = work / "unpacked"
    shutil.rmtree(staging, ignore_errors=True)
    safe_extract(archive, staging, max_bytes=size_limit(name))
    (staging / MARKER).write_text(json.dumps({"kaggle_id": kaggle_id, "folder": folder, "images": count}) + "\n")
    if target.exists():
        target.rmdir()  # empty, checked above
    os.replace(staging, target)
    shutil.rmtree(work)
    click.echo(f"{name}: {count:,} images in {target}")
    return target


def count_images(archive: Path) -> tuple[str, int]:
    """The archive's folder holding the most images directly, and how many: a copy of the images in a
    second folder (some Kaggle archives nest one) then does not count twice."""
    with _open_zip(archive) as zf:
        paths = [PurePosixPath(info.filename) for info in zf.infolist() if not info.is_dir()]
    per_folder = Counter(str(p.parent) for p in paths if p.suffix.lower() in IMAGE_SUFFIXES)
    return per_folder.most_common(1)[0] if per_folder else ("", 0)


def _check_count(name: str, folder: str, count: int, work: Path) -> None:
    expected = DATASETS[name].expected_images
    if abs(count - expected) > TOLERANCE * expected:
        raise FractalDreamError(
            f"{name}: the archive's largest image folder ({folder or 'none'}) holds {count:,} images, expected "
            f"{expected:,} (within {TOLERANCE:.0%}); it is not the data set the study used, or it is truncated: "
            f"delete {work} to fetch it again")
    if count != expected:
        click.echo(f"Note: {name} has {count:,} images in {folder}, not the {expected:,} of the version the study used")


def unsafe_entries(archive: Path) -> list[str]:
    """Entries that would land outside the folder they are unpacked in: absolute, with '..', or links."""
    bad = []
    with _open_zip(archive) as zf:
        for info in zf.infolist():
            path = _entry_path(info)
            if path.is_absolute() or ".." in path.parts or (path.parts and path.parts[0].endswith(":")):
                bad.append(f"{info.filename} (escapes the target folder)")
            elif stat.S_ISLNK(info.external_attr >> 16):
                bad.append(f"{info.filename} (a link)")
    return bad


def size_limit(name: str) -> int:
    """The most bytes the archive of the data set ``name`` may unpack to."""
    return int(DATASETS[name].expected_images * (1 + TOLERANCE) * MAX_BYTES_PER_IMAGE)


def refuse_unsafe(archive: Path, max_bytes: int | None = None) -> None:
    """Refuse an archive with an unsafe entry, clashing names, or the sizes of a zip bomb (or above ``max_bytes``)."""
    bad = unsafe_entries(archive)
    if bad:
        raise FractalDreamError(f"refusing to unpack {archive}: {len(bad)} unsafe entries, e.g. {'; '.join(bad[:3])}")
    with _open_zip(archive) as zf:
        entries = zf.infolist()
    problem = _clashing_name(entries) or _bomb_size(entries, archive.stat().st_size, max_bytes)
    if problem:
        raise FractalDreamError(f"refusing to unpack {archive}: {problem}")


def _clashing_name(entries: list[zipfile.ZipInfo]) -> str | None:
    """An entry name that is there twice, or names a file where another entry needs a folder."""
    files = Counter(_entry_path(info) for info in entries if not info.is_dir())
    folders = {parent for info in entries for parent in _entry_path(info).parents}
    folders |= {_entry_path(info) for info in entries if info.is_dir()}
    twice = [path for path, count in files.items() if count > 1]
    if twice:
        return f"{len(twice)} entry name(s) appear more than once, e.g. {twice[0]}"
    both = [path for path in files if path in folders]
    if both:
        return f"{both[0]} is both a file and a folder"
    return None


def _entry_path(info: zipfile.ZipInfo) -> PurePosixPath:
    return PurePosixPath(info.filename.replace("\\", "/"))


def _bomb_size(entries: list[zipfile.ZipInfo], archive_bytes: int, max_bytes: int | None) -> str | None:
    """What makes the unpacked sizes (as the zip declares them; unpacking stops there) too large, or None."""
    total = sum(info.file_size for info in entries)
    if max_bytes is not None and total > max_bytes:
        return (f"it would unpack to {_size(total)}, more than the {_size(max_bytes)} its data set can "
                f"take ({MAX_BYTES_PER_IMAGE >> 20} MiB an image)")
    grown = [info for info in entries if info.file_size > max(MAX_BYTES_PER_IMAGE, MAX_RATIO * info.compress_size)]
    if grown:
        info = grown[0]
        return (f"{info.filename} would grow from {_size(info.compress_size)} to {_size(info.file_size)} "
                f"(more than {MAX_RATIO}-fold: a zip bomb)")
    if total > MAX_RATIO * archive_bytes:
        return (f"its {_size(archive_bytes)} would unpack to {_size(total)} "
                f"(more than {MAX_RATIO}-fold: a zip bomb)")
    return None


def _size(size: int) -> str:
    return f"{size / 1e6:,.1f} MB" if size >= 1e6 else f"{size / 1e3:,.1f} kB"


def safe_extract(archive: Path, target: Path, progress: bool = True, max_bytes: int | None = None) -> None:
    """Unpack ``archive`` into ``target``, refusing the whole archive (writing nothing) if any entry is unsafe,
    any name clashes, or it would unpack to more than ``max_bytes`` or grow like a zip bomb."""
    refuse_unsafe(archive, max_bytes)
    root = target.resolve()
    with _open_zip(archive) as zf:
        members = zf.infolist()
        for info in tqdm(members, unit="file", desc="unzip", disable=not progress, dynamic_ncols=True):
            destination = (root / info.filename).resolve()
            if root not in destination.parents and destination != root:  # checked above: defence in depth
                raise FractalDreamError(f"refusing to unpack {archive}: {info.filename} escapes {target}")
            if info.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as source, open(destination, "wb") as sink:
                shutil.copyfileobj(source, sink)


def _open_zip(archive: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(archive)
    except (OSError, zipfile.BadZipFile) as error:
        raise FractalDreamError(f"{archive} is not a readable zip ({error}); delete it to fetch it again") from None

