"""Shade visit counts into RGB images: datashader's ``tf.shade(how="eq_hist")`` over a black background.

The images are byte for byte those of ``tf.set_background(tf.shade(agg, cmap, how="eq_hist"), "black")``
(the datashader gallery's pipeline), computed here with plain numpy on the visited pixels only, and
with the histogram equalization done once per attractor for all its palettes (datashader's
xarray round trip costs more than the rest of the shading).
"""

import numba
import numpy as np

from fractaldream.palettes import PALETTES

BACKGROUND = "black"
HOW = "eq_hist"
#: datashader's eq_hist: exact value counts below this many levels, a histogram of this many bins above.
EQ_HIST_BINS = 256 * 256

# (3, colours) float64 channel values of each colour map, as datashader's interpolation sees them.
_CHANNELS = {name: np.array([[int(c[k:k + 2], 16) for c in cmap] for k in (1, 3, 5)], np.float64)
             for name, cmap in PALETTES.items()}
# set_background composites an opaque pixel over the background in float64: v -> uint32(v / 255 * 255).
_OPAQUE_OVER_BACKGROUND = np.minimum((np.arange(256) / 255 * 255).astype(np.uint32), 255).astype(np.uint8)


def equalize(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[float, float]] | None:
    """datashader's eq_hist of the visited pixels: (their flat indices, their levels in [0, 1], span).

    None when no pixel is visited.
    """
    flat = counts.ravel()
    visited = np.flatnonzero(flat)
    if not len(visited):
        return None
    data = flat[visited]
    data = data - data.min()
    top = int(data.max())
    if top < EQ_HIST_BINS:  # every count level is its own bin
        cdf = np.bincount(data, minlength=top + 1).cumsum()
        levels = (cdf / float(cdf[-1]))[data]
    else:
        hist, edges = np.histogram(data, bins=EQ_HIST_BINS)
        centers = (edges[:-1] + edges[1:]) / 2
        kept = hist > 0
        cdf = hist[kept].cumsum()
        levels = np.interp(data, centers[kept], cdf / float(cdf[-1]))
    return visited, levels, (levels.min(), levels.max())


@numba.njit(cache=True, nogil=True, error_model="numpy")  # equal stops divide by zero, as in numpy.interp
def _paint(rgb, visited, levels, stops, channels, over):
    """rgb[visited[p], k] = over[uint8(numpy.interp(levels[p], stops, channels[k], left=255))].

    numpy.interp's arithmetic, step for step (so the bytes are the same), for three channels at once.
    """
    last = stops.shape[0] - 1
    slopes = np.empty((3, last))
    for k in range(3):
        for j in range(last):
            slopes[k, j] = (channels[k, j + 1] - channels[k, j]) / (stops[j + 1] - stops[j])
    for p in range(levels.shape[0]):
        x = levels[p]
        j = -1
        for i in range(last + 1):
            j += stops[i] <= x  # the last stop <= x (the stops ascend)
        pixel = np.uint64(visited[p])
        if j < 0:  # below the first stop: datashader's left=255
            for k in range(3):
                rgb[pixel, k] = over[255]
        elif j == last or stops[j] == x:  # on a stop, or above the last (numpy's right = the last colour)
            for k in range(3):
                rgb[pixel, k] = over[np.uint8(channels[k, j])]
        else:
            offset = x - stops[j]
            for k in range(3):
                rgb[pixel, k] = over[np.uint8(slopes[k, j] * offset + channels[k, j])]


def colorize(counts_shape, equalized, palette: str) -> np.ndarray:
    """RGB uint8 image (H x W x 3) from :func:`equalize`'s result, highest y in the top row."""
    height, width = counts_shape
    rgb = np.zeros((height * width, 3), np.uint8)
    if equalized is not None:
        visited, levels, span = equalized
        channels = _CHANNELS[palette]
        _paint(rgb, visited, levels, np.linspace(span[0], span[1], channels.shape[1]), channels, _OPAQUE_OVER_BACKGROUND)
    return np.ascontiguousarray(rgb.reshape(height, width, 3)[::-1])


def shade_all(counts: np.ndarray, palettes) -> dict[str, np.ndarray]:
    """One RGB image per palette, the histogram equalization computed once."""
    equalized = equalize(counts)
    return {palette: colorize(counts.shape, equalized, palette) for palette in palettes}


def shade(counts: np.ndarray, palette: str) -> np.ndarray:
    """RGB uint8 image (H x W x 3) of the counts, highest y in the top row."""
    return colorize(counts.shape, equalize(counts), palette)
