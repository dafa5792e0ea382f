"""A contact sheet: the first images of a data set on one grid, in id order."""

import math
from io import BytesIO
from pathlib import Path

from PIL import Image

from fractaldream.dataset import FractalDreamDataset
from fractaldream.errors import FractalDreamError, UsageError
from fractaldream.store import write_atomic

GAP = 2


def contact_sheet(root: Path, out: Path, n: int = 64, palette: str | None = None) -> int:
    """Write a grid of the first ``n`` images of ``root`` to ``out``; return how many it shows."""
    dataset = FractalDreamDataset(root, palette=palette)
    files = dataset.files[:n]
    if not files:
        raise UsageError(f"{root} holds no images" + (f" in palette {palette}" if palette else ""))
    width, height = _read(files[0]).size
    columns = math.ceil(math.sqrt(len(files)))
    rows = math.ceil(len(files) / columns)
    sheet = Image.new("RGB", (columns * (width + GAP) + GAP, rows * (height + GAP) + GAP), "#202020")
    for k, path in enumerate(files):
        tile = _read(path).resize((width, height))
        sheet.paste(tile, (GAP + (k % columns) * (width + GAP), GAP + (k // columns) * (height + GAP)))
    buffer = BytesIO()
    sheet.save(buffer, format="PNG")
    write_atomic(out, buffer.getvalue())
    return len(files)


def _read(path: Path) -> Image.Image:
    """The RGB image at ``path``, or a one-line error naming it."""
    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except OSError as error:  # missing, unreadable, or not an image (PIL's UnidentifiedImageError is an OSError)
        raise FractalDreamError(f"cannot read image {path}: {error.strerror or error}; rerunning the build "
                                f"command of a built data set re-renders its missing images") from None
