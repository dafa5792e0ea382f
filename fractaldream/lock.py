"""One writer per folder: an OS lock that dies with its process.

``with writer_lock(folder, "build"):`` holds an exclusive ``flock`` on ``folder/.lock`` for the
block; a second writer is refused at once with a one-line error naming the holder. The kernel
drops the lock when the holding process ends, even by ``kill -9``, so a lock is never stale (the
file itself stays, harmless, and is reused).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from pathlib import Path

from fractaldream.errors import UsageError

LOCK_FILE = ".lock"


@contextlib.contextmanager
def writer_lock(folder, what: str):
    """Hold ``folder``'s writer lock (creating the folder) while ``what`` writes into it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fd = _open_lock_file(folder)
    if fd is None:  # read-only media: no process can write into the folder, so there is no writer to exclude
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            raise UsageError(f"{folder} is being written by {holder}; wait for it to finish, "
                             f"or choose another folder") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{what} (pid {os.getpid()})\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    """Who holds the lock, as its holder wrote it; the holder writes just after locking, so wait a moment."""
    for _ in range(100):
        holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
        if holder:
            return holder
        time.sleep(0.01)
    return "another process"


def _open_lock_file(folder: Path) -> int | None:
    """The lock file's descriptor, or None on read-only media."""
    try:
        return os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        if error.errno == errno.EROFS:
            return None
        raise
