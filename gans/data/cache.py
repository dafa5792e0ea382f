"""Where the gans data sets and everything derived from them live on disk."""

import os
from pathlib import Path


def cache_root() -> Path:
    """``$GANS_DATA`` or ``~/.cache/gans``: the folder the downloaders fill and the loaders read."""
    return Path(os.environ.get("GANS_DATA") or Path.home() / ".cache" / "gans").expanduser()


def cache_dir(name: str) -> Path:
    """The cache folder of the data set ``name``."""
    return cache_root() / name
