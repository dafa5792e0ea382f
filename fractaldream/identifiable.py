"""What an FDD image can determine about its parameter vector v = (x0, y0, a, b, c, d).

F(x, y) = (sin(b y) + c sin(b x), sin(a x) + d sin(a y)) is odd, which gives the map exact symmetries:
changing v one way transforms the image one exact way (:data:`EXACT_SYMMETRIES`, each checked by
rendering in tests/test_identifiable.py). And F(-a, -b, c, d) = -F(a, b, c, d), so (a, b) -> (-a, -b)
makes the orbit alternate between A and -A: the image of A u -A, which is the image of A for about
90% of accepted attractors (:data:`NEGATE_AB`, a near-symmetry). The start (x0, y0) is forgotten
after the burn-in. What is left, the identifiable targets, is |a|, |b|, sign(a b), c and d: c and d
keep their signs because the image's orientation carries them (flipping the rows negates both).

Images here are as shown (row 0 = the highest y), like ``Attractor.image`` and the data set's PNGs.
This module is numpy only, so that metrics and tests can use it without the renderer.
"""

from dataclasses import dataclass

import numpy as np

from fractaldream.errors import UsageError

#: The identifiable targets, in the column order of :func:`identifiable_targets`.
TARGETS = ("abs_a", "abs_b", "sign_ab", "c", "d")
#: The targets that are signs (values -1 and +1); the others are continuous.
SIGN_TARGETS = ("sign_ab",)


def identifiable_targets(v) -> np.ndarray:
    """Raw v (N x 6: x0, y0, a, b, c, d) -> (N x 5): |a|, |b|, sign(a b), c, d.

    sign(a b) is -1 or +1; a b = 0 (probability 0 for drawn v) counts as +1.
    """
    try:
        v = np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError):
        raise UsageError("raw FDD vectors v must be numbers") from None
    if v.ndim != 2 or v.shape[1] != 6:
        raise UsageError(f"raw FDD vectors v must be N x 6 (x0, y0, a, b, c, d), got shape {v.shape}")
    a, b, c, d = v[:, 2:].T
    return np.stack([np.abs(a), np.abs(b), np.where(a * b < 0, -1.0, 1.0), c, d], axis=1)


@dataclass(frozen=True)
class Symmetry:
    """A change of v, ``v[:, permutation] * signs``, and what it does to the image.

    The image change is: reverse the rows if ``flip_rows``, the columns if ``flip_columns``, then
    transpose if ``transpose``. ``exact``: the transformed v renders exactly the transformed image.
    """

    name: str
    permutation: tuple[int, ...]
    signs: tuple[float, ...]
    flip_rows: bool
    flip_columns: bool
    transpose: bool
    exact: bool = True

    def transform_v(self, v) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        return v[..., list(self.permutation)] * np.array(self.signs)

    def transform_image(self, image: np.ndarray, axes: tuple[int, int] = (-2, -1)) -> np.ndarray:
        """The image changed as the transformed v changes it; ``axes`` are (rows, columns), e.g. (0, 1) for H x W x 3."""
        flipped = [axis for axis, flip in zip(axes, (self.flip_rows, self.flip_columns)) if flip]
        image = np.flip(image, flipped) if flipped else image
        return np.swapaxes(image, *axes) if self.transpose else image


_SAME = (0, 1, 2, 3, 4, 5)

#: (x0, y0) -> (-x0, -y0): F is odd, so the orbit is point-mirrored and the image turned 180 degrees.
TURN = Symmetry("turn", _SAME, (-1, -1, 1, 1, 1, 1), flip_rows=True, flip_columns=True, transpose=False)
#: (x0, y0, a, b, c, d) -> (x0, -y0, -a, -b, -c, -d): F conjugated by y -> -y; the rows flip.
ROW_FLIP = Symmetry("row flip", _SAME, (1, -1, -1, -1, -1, -1), flip_rows=True, flip_columns=False, transpose=False)
#: (x0, y0, a, b, c, d) -> (y0, x0, b, a, d, c): F conjugated by the x <-> y swap; the image is
#: mirrored about its anti-diagonal (with row 0 = the highest y, that is both flips, then transposing).
ANTI_DIAGONAL = Symmetry("anti-diagonal mirror", (1, 0, 3, 2, 5, 4), (1, 1, 1, 1, 1, 1),
                         flip_rows=True, flip_columns=True, transpose=True)
EXACT_SYMMETRIES = (TURN, ROW_FLIP, ANTI_DIAGONAL)

#: (a, b) -> (-a, -b): the attractor A becomes A u -A, the same image only where A = -A (most attractors).
NEGATE_AB = Symmetry("(a, b) -> (-a, -b)", _SAME, (1, 1, -1, -1, 1, 1), flip_rows=False, flip_columns=False,
                     transpose=False, exact=False)
