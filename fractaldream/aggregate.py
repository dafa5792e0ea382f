"""Aggregate an orbit on a grid with the exact semantics of datashader's ``Canvas.points``.

The frame is the orbit's own bounding box: column ``int(x * sx + tx)`` with ``sx = W / (xmax - xmin)``
and ``tx = -xmin * sx`` (a point at ``xmax`` falls in the last column), likewise for rows;
row 0 holds the lowest y.
"""

import numba
import numpy as np


@numba.njit(cache=True)
def bounding_box(xs, ys):
    """(xmin, xmax, ymin, ymax) of the finite orbit; NaN when any point is not finite."""
    xmin = xmax = xs[0]
    ymin = ymax = ys[0]
    for i in range(xs.shape[0]):
        x, y = xs[i], ys[i]
        if not (np.isfinite(x) and np.isfinite(y)):
            return np.nan, np.nan, np.nan, np.nan
        xmin, xmax = min(xmin, x), max(xmax, x)
        ymin, ymax = min(ymin, y), max(ymax, y)
    return xmin, xmax, ymin, ymax


@numba.njit(cache=True)
def aggregate(xs, ys, xmin, xmax, ymin, ymax, size):
    """Visit counts (size x size, uint32) of the points inside the box, datashader's binning."""
    counts = np.zeros((size, size), np.uint32)
    sx = size / (xmax - xmin)
    tx = -xmin * sx
    sy = size / (ymax - ymin)
    ty = -ymin * sy
    for i in range(xs.shape[0]):
        x, y = xs[i], ys[i]
        if xmin <= x <= xmax and ymin <= y <= ymax:
            col = int(x * sx + tx)
            row = int(y * sy + ty)
            counts[min(row, size - 1), min(col, size - 1)] += 1
    return counts


def coverage(counts: np.ndarray) -> float:
    """Fraction of pixels visited at least once."""
    return float(np.count_nonzero(counts)) / counts.size
