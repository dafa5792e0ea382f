"""Which files of a folder are images."""

from pathlib import Path

from fractaldream.errors import UsageError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


def image_files(root: Path, prefer: str | None = None) -> list[Path]:
    """The image files under ``root`` (recursively), or under its sub-folder ``prefer`` when one holds images."""
    if prefer:
        folders = sorted((p for p in root.rglob(prefer) if p.is_dir() and has_images(p, recursive=False)),
                         key=lambda p: len(p.parts))
        if folders:
            root = folders[0]
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise UsageError(f"no image files under {root}")
    return files


def has_images(folder: Path, recursive=True) -> bool:
    if not folder.is_dir():
        return False
    paths = folder.rglob("*") if recursive else folder.iterdir()
    return any(p.suffix.lower() in IMAGE_SUFFIXES for p in paths)
