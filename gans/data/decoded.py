"""Decoded-once image caches: a data set decoded into one uint8 ``.npy`` (N, C, S, S) that runs memory-map.

A cache lives in ``<cache root>/decoded/<data set>/<key>.npy`` (``$GANS_DATA``, default ``~/.cache/gans``;
never inside the data folder, which may be read-only or about to be uploaded), with ``<key>.npz``
beside it holding the targets and the unreadable files left out. ``key`` hashes what the pixels
depend on: the input files (sorted, with sizes and modification times) and the transform, image size
included. Both files are written under temporary names and renamed into place, the images last: an
interrupted decode leaves no cache, and the temporary files of a killed one are removed by the next
``remove_stale_temporaries``. A changed data set gets a new key; delete ``decoded/`` to reclaim space.

The ``.npz`` also holds the cache's ``fingerprint``, a hash of the decoded images and targets themselves:
a run records it, so that it resumes only on the very data it trained on.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import socket
import struct
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from fractaldream.errors import FractalDreamError, UsageError
from gans.data.cache import cache_root

#: Bump when what a cache holds changes, so old caches are not read.
VERSION = 1
#: The .npy header is written before the image count is known, then rewritten in place: a fixed size.
HEADER_BYTES = 128
#: A cache's temporary files while it is written: ``.<key>.npy.<host>.<pid>.tmp`` and ``...<pid>.npz.tmp`` (an
#: older form has no host). Only this machine's processes can be asked whether they are alive.
TEMPORARY = re.compile(r"\.[0-9a-f]+\.npy\.(?:(?P<host>.+)\.)?(?P<pid>\d+)(?:\.npz)?\.tmp")


class Decoded(NamedTuple):
    images: torch.Tensor  # uint8 (N, C, S, S), memory-mapped
    targets: torch.Tensor
    skipped: list[str]  # unreadable files left out
    fingerprint: str  # sha256 of the images and targets


def cache_path(name: str, inputs: list[Path], transform: str) -> Path:
    digest = hashlib.sha256(f"{VERSION}\n{transform}\n".encode())
    for path in sorted(inputs):
        stat = path.stat()
        digest.update(f"{os.path.abspath(path)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return cache_root() / "decoded" / name / f"{digest.hexdigest()[:24]}.npy"


def read_cache(path: Path) -> Decoded | None:
    """A complete cache, or None where there is none."""
    if not (path.is_file() and path.with_suffix(".npz").is_file()):
        return None
    try:
        with np.load(path.with_suffix(".npz")) as extra:
            targets, skipped, fingerprint = extra["targets"], extra["skipped"].tolist(), str(extra["fingerprint"])
        # Copy-on-write: a tensor that is written to changes only its own pages, never the file.
        images = np.load(path, mmap_mode="c")
    except (OSError, ValueError, KeyError):  # damaged by hand, or written before fingerprints: decode again
        return None
    return Decoded(torch.from_numpy(images), torch.from_numpy(targets), skipped, fingerprint)


def write_cache(path: Path, batches, name: str) -> None:
    """Write ``batches`` of (uint8 images or None, targets, unreadable files) as the cache at ``path``."""
    temp = path.with_name(f".{path.name}.{socket.gethostname()}.{os.getpid()}.tmp")
    extra_temp = temp.with_suffix(".npz.tmp")
    targets, skipped, count, shape = [], [], 0, ()
    digest = hashlib.sha256()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temp, "wb") as handle:
            handle.write(bytes(HEADER_BYTES))
            for images, batch_targets, bad in batches:
                skipped += bad
                if images is not None:
                    pixels = images.contiguous().numpy()
                    handle.write(pixels)
                    digest.update(pixels)
                    targets.append(batch_targets)
                    count, shape = count + len(images), tuple(images.shape[1:])
            if count == 0:
                raise UsageError(f"{name}: no readable images")
            handle.seek(0)
            handle.write(_npy_header((count, *shape)))
            handle.flush()
            os.fsync(handle.fileno())
        all_targets = torch.cat(targets).numpy()
        digest.update(f"{(count, *shape)} {all_targets.dtype.str} {all_targets.shape}".encode())
        digest.update(np.ascontiguousarray(all_targets))
        buffer = io.BytesIO()
        np.savez(buffer, targets=all_targets, skipped=np.array(skipped, dtype=str),
                 fingerprint=np.array(digest.hexdigest()))
        extra_temp.write_bytes(buffer.getvalue())
        os.replace(extra_temp, path.with_suffix(".npz"))
        os.replace(temp, path)
    except OSError as error:  # a full disk, read-only media: nothing is left behind
        raise FractalDreamError(f"{name}: cannot write the decoded images to {path.parent} "
                                f"({error.strerror or error}); free space there, or set GANS_DATA to another "
                                f"folder") from None
    finally:
        temp.unlink(missing_ok=True)
        extra_temp.unlink(missing_ok=True)


def remove_stale_temporaries() -> None:
    """Remove the temporary files of decodes whose process is gone (killed): they can be as large as a cache."""
    here = socket.gethostname()
    for path in (cache_root() / "decoded").glob("*/.*.tmp"):
        match = TEMPORARY.fullmatch(path.name)
        if match and match["host"] in (None, here) and not _alive(int(match["pid"])):
            with contextlib.suppress(OSError):  # a read-only cache is read, never cleaned
                path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _npy_header(shape: tuple) -> bytes:
    """A version 1.0 ``.npy`` header for uint8 ``shape``, padded to HEADER_BYTES."""
    text = repr({"descr": "|u1", "fortran_order": False, "shape": shape})
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", HEADER_BYTES - 10) + text.ljust(HEADER_BYTES - 11).encode() + b"\n"
