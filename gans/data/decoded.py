"""Decoded-once image caches: a data set decoded into one uint8 ``.npy`` (N, C, S, S) that runs memory-map.

A cache lives in ``<cache root>/decoded/<data set>/<key>.npy`` (``$GANS_DATA``, default ``~/.cache/gans``;
never inside the data folder, which may be read-only or about to be uploaded), with ``<key>.npz``
beside it holding the targets and the unreadable files left out. ``key`` hashes what the pixels
depend on: the input files (sorted, with sizes and modification times) and the transform, image size
included. Both files are written under temporary names and renamed into place, the images last: an
interrupted decode leaves no cache. A changed data set gets a new key; delete ``decoded/`` to reclaim space.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
from pathlib import Path

import numpy as np
import torch

from fractaldream.errors import FractalDreamError, UsageError
from gans.data.cache import cache_root

#: Bump when what a cache holds changes, so old caches are not read.
VERSION = 1
#: The .npy header is written before the image count is known, then rewritten in place: a fixed size.
HEADER_BYTES = 128


def cache_path(name: str, inputs: list[Path], transform: str) -> Path:
    digest = hashlib.sha256(f"{VERSION}\n{transform}\n".encode())
    for path in sorted(inputs):
        stat = path.stat()
        digest.update(f"{os.path.abspath(path)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return cache_root() / "decoded" / name / f"{digest.hexdigest()[:24]}.npy"


def read_cache(path: Path) -> tuple[torch.Tensor, torch.Tensor, list[str]] | None:
    """(images memory-mapped, targets, unreadable files) of a complete cache, or None where there is none."""
    if not (path.is_file() and path.with_suffix(".npz").is_file()):
        return None
    try:
        with np.load(path.with_suffix(".npz")) as extra:
            targets, skipped = extra["targets"], extra["skipped"].tolist()
        # Copy-on-write: a tensor that is written to changes only its own pages, never the file.
        images = np.load(path, mmap_mode="c")
    except (OSError, ValueError):  # damaged by hand: decode again
        return None
    return torch.from_numpy(images), torch.from_numpy(targets), skipped


def write_cache(path: Path, batches, name: str) -> None:
    """Write ``batches`` of (uint8 images or None, targets, unreadable files) as the cache at ``path``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise FractalDreamError(f"{name}: cannot write the decoded images to {path.parent} ({error.strerror}); "
                                f"set GANS_DATA to a writable folder") from None
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    extra_temp = temp.with_suffix(".npz.tmp")
    targets, skipped, count, shape = [], [], 0, ()
    try:
        with open(temp, "wb") as handle:
            handle.write(bytes(HEADER_BYTES))
            for images, batch_targets, bad in batches:
                skipped += bad
                if images is not None:
                    handle.write(images.contiguous().numpy())
                    targets.append(batch_targets)
                    count, shape = count + len(images), tuple(images.shape[1:])
            if count == 0:
                raise UsageError(f"{name}: no readable images")
            handle.seek(0)
            handle.write(_npy_header((count, *shape)))
            handle.flush()
            os.fsync(handle.fileno())
        buffer = io.BytesIO()
        np.savez(buffer, targets=torch.cat(targets).numpy(), skipped=np.array(skipped, dtype=str))
        extra_temp.write_bytes(buffer.getvalue())
        os.replace(extra_temp, path.with_suffix(".npz"))
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
        extra_temp.unlink(missing_ok=True)


def _npy_header(shape: tuple) -> bytes:
    """A version 1.0 ``.npy`` header for uint8 ``shape``, padded to HEADER_BYTES."""
    text = repr({"descr": "|u1", "fortran_order": False, "shape": shape})
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", HEADER_BYTES - 10) + text.ljust(HEADER_BYTES - 11).encode() + b"\n"
