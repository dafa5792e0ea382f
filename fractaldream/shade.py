"""Shade visit counts into RGB images with datashader's transfer functions."""

import numpy as np
import xarray as xr
from datashader import transfer_functions as tf

#: Colour maps from sparse to dense visits, shown on a black background.
PALETTES = {
    "blue": ["#0b2a5b", "#1f5fbf", "#4fa3ff", "#bfe3ff", "#ffffff"],
    "orange": ["#4a1a00", "#a8410a", "#f07d12", "#ffc266", "#fff4e0"],
    "green": ["#0a3311", "#1d7a2c", "#3dbb50", "#a6ec9a", "#f2fff0"],
}
BACKGROUND = "black"
HOW = "eq_hist"


def shade(counts: np.ndarray, palette: str) -> np.ndarray:
    """RGB uint8 image (H x W x 3) of the counts, highest y in the top row."""
    height, width = counts.shape
    agg = xr.DataArray(counts, dims=("y", "x"), coords={"y": np.arange(height), "x": np.arange(width)})
    image = tf.set_background(tf.shade(agg, cmap=PALETTES[palette], how=HOW), BACKGROUND)
    rgba = np.asarray(image.data).view(np.uint8).reshape(height, width, 4)
    return np.ascontiguousarray(rgba[::-1, :, :3])
