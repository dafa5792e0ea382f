"""Attractors from their parameter vectors: iterate -> aggregate -> classify -> shade.

Two precisions compute the orbit:

- ``"float32"`` (the default, the builder's fast path): batches of attractors advanced in lockstep
  in SIMD lanes, with a polynomial sine (:mod:`fractaldream.lockstep`). A vector gives the same
  result alone or in any batch.
- ``"float64"``: the exact scalar loop with libm's sine (:mod:`fractaldream.attractor`), one vector
  at a time, as the datashader gallery computes it.

Both aggregate with datashader's binning, on the orbit's own bounding box, and judge it the same way.
"""

from dataclasses import dataclass

import numpy as np
from PIL import Image

from fractaldream import lockstep
from fractaldream.aggregate import aggregate, bounding_box, coverage
from fractaldream.attractor import LYAPUNOV_STEPS, MAX_CYCLE_PERIOD, cycle_period, lyapunov_exponent, trajectory
from fractaldream.palettes import DEFAULT_PALETTE
from fractaldream.settings import RenderSettings
from fractaldream.shade import shade, shade_all


@dataclass
class Attractor:
    """An iterated and aggregated attractor, with what the builder needs to judge it.

    ``status`` is "ok" (kept), or why it is rejected: "nonfinite", "fixed_point", "short_cycle", "low_coverage".
    """

    params: np.ndarray
    counts: np.ndarray | None
    bounds: tuple[float, float, float, float]
    coverage: float
    lyapunov: float
    status: str

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def image(self, palette: str) -> np.ndarray:
        """RGB uint8 image; a black frame for an attractor that could not be aggregated."""
        if self.counts is None:
            return np.zeros((*self._shape, 3), np.uint8)
        return shade(self.counts, palette)

    def images(self, palettes) -> dict[str, np.ndarray]:
        """:meth:`image` for several palettes (the histogram equalization done once)."""
        if self.counts is None:
            return {palette: self.image(palette) for palette in palettes}
        return shade_all(self.counts, palettes)

    _shape: tuple[int, int] = (0, 0)


def _judge(params, bounds, finite, period, lyapunov, settings: RenderSettings, counts_of):
    """Classify one orbit; ``counts_of()`` aggregates it, called only for orbits worth drawing."""
    params = np.asarray(params, np.float64)
    bounds = tuple(float(b) for b in bounds)
    shape = (settings.size, settings.size)

    def rejected(status):
        return Attractor(params, None, bounds, 0.0, lyapunov, status, _shape=shape)

    if not finite:
        return rejected("nonfinite")
    xmin, xmax, ymin, ymax = bounds
    if xmax == xmin or ymax == ymin or period == 1:
        return rejected("fixed_point")
    counts = counts_of()
    if counts is None:
        return rejected("short_cycle")
    filled = coverage(counts)
    status = "ok"
    if period > 1:
        status = "short_cycle"
    elif filled < settings.min_coverage:
        status = "low_coverage"
    return Attractor(params, counts, bounds, filled, lyapunov, status, _shape=shape)


def _iterate_float64(params, settings: RenderSettings) -> Attractor:
    x0, y0, a, b, c, d = (float(p) for p in params)
    xs, ys = trajectory(x0, y0, a, b, c, d, settings.points, settings.burn_in)
    bounds = bounding_box(xs, ys)
    finite = bool(np.all(np.isfinite(bounds)))
    lyapunov, period = np.nan, 0
    if finite:
        lyapunov = lyapunov_exponent(xs[0], ys[0], a, b, c, d, min(settings.points, LYAPUNOV_STEPS))
        period = cycle_period(xs, ys, MAX_CYCLE_PERIOD)
    return _judge([x0, y0, a, b, c, d], bounds, finite, period, lyapunov, settings,
                  lambda: aggregate(xs, ys, *bounds, settings.size))


def iterate_batch(params, settings: RenderSettings, draw_cycles: bool = True) -> list[Attractor]:
    """:func:`iterate` for each row of ``params`` (n x 6), in lockstep on the fast path.

    With ``draw_cycles=False`` short cycles are judged without being aggregated (their counts
    are None): a builder rejects them anyway.
    """
    settings.validate()
    params = np.asarray(params, np.float64).reshape(-1, 6)
    if settings.precision == "float64":
        return [_iterate_float64(p, settings) for p in params]
    orbits = lockstep.survey(params, settings.points, settings.burn_in)
    xmin, xmax, ymin, ymax = orbits.bounds.T
    drawn = orbits.finite & (xmin < xmax) & (ymin < ymax) & (orbits.period != 1)
    if not draw_cycles:
        drawn &= orbits.period == 0
    counts = dict(zip(np.flatnonzero(drawn), lockstep.aggregate(
        params[drawn], orbits.bounds[drawn], settings.points, settings.burn_in, settings.size)))
    return [_judge(params[k], orbits.bounds[k], orbits.finite[k], orbits.period[k], float(orbits.lyapunov[k]),
                   settings, lambda k=k: counts.get(k)) for k in range(len(params))]


def iterate(params, settings: RenderSettings) -> Attractor:
    """Iterate, aggregate on the orbit's own bounding box, and classify one vector v."""
    return iterate_batch([params], settings)[0]


def occupancy_iou(params, size: int, points: int, burn_in: int) -> np.ndarray:
    """Fidelity of the fast path: per vector, the intersection over union of the pixels visited by
    its float32 and its float64 orbit, both binned on the float64 orbit's bounding box."""
    params = np.asarray(params, np.float64).reshape(-1, 6)
    ious = []
    for start in range(0, len(params), lockstep.LANE_MULTIPLE):
        fast_xs, fast_ys = lockstep.trajectories(params[start:start + lockstep.LANE_MULTIPLE], points, burn_in)
        for v, fast_x, fast_y in zip(params[start:start + lockstep.LANE_MULTIPLE], fast_xs, fast_ys):
            xs, ys = trajectory(*v, points, burn_in)
            box = bounding_box(xs, ys)
            exact = aggregate(xs, ys, *box, size) > 0
            fast = aggregate(fast_x, fast_y, *box, size) > 0
            ious.append(np.count_nonzero(exact & fast) / max(np.count_nonzero(exact | fast), 1))
    return np.array(ious)


def render(params, palette: str = DEFAULT_PALETTE, **settings) -> Image.Image:
    """The RGB image of the attractor with parameter vector (x0, y0, a, b, c, d).

    ``settings`` are fields of :class:`RenderSettings` (size, points, burn_in, precision), the others their defaults.
    """
    attractor = iterate(params, RenderSettings(**settings))
    return Image.fromarray(attractor.image(palette), mode="RGB")
