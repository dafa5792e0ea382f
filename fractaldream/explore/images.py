"""RGB arrays to PNG panes, shown enlarged with sharp pixels."""

from io import BytesIO

import numpy as np
import panel as pn
from PIL import Image

#: Every image is shown this many CSS pixels wide, whatever its size, so FD(v), G(v) and stored images compare.
SHOWN = 320
_SHARP = ["img { image-rendering: pixelated; }"]


def png_bytes(rgb: np.ndarray) -> bytes:
    buffer = BytesIO()
    Image.fromarray(rgb, mode="RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def decode_png(data: bytes) -> np.ndarray:
    with Image.open(BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


def image_pane(alt_text: str) -> pn.pane.PNG:
    """An empty PNG pane; its ``alt_text`` names it in the page (the browser test finds images by it)."""
    return pn.pane.PNG(None, alt_text=alt_text, width=SHOWN, height=SHOWN, fixed_aspect=True, stylesheets=_SHARP,
                       margin=(5, 10))


def titled(title: str, pane: pn.pane.PNG) -> pn.Column:
    return pn.Column(pn.pane.Markdown(f"**{title}**", margin=(0, 10)), pane)
