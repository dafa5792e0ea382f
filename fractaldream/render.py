"""One attractor from its parameter vector: iterate -> aggregate -> classify -> shade."""

from dataclasses import dataclass

import numpy as np
from PIL import Image

from fractaldream.aggregate import aggregate, bounding_box, coverage
from fractaldream.attractor import LYAPUNOV_STEPS, MAX_CYCLE_PERIOD, cycle_period, lyapunov_exponent, trajectory
from fractaldream.shade import shade

#: Why a vector is rejected; "ok" means it is kept.
STATUSES = ("ok", "nonfinite", "fixed_point", "short_cycle", "low_coverage")


@dataclass(frozen=True)
class RenderSettings:
    size: int = 128
    points: int = 1_000_000
    burn_in: int = 100
    min_coverage: float = 0.0


@dataclass
class Attractor:
    """An iterated and aggregated attractor, with what the builder needs to judge it."""

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

    _shape: tuple[int, int] = (0, 0)


def iterate(params, settings: RenderSettings) -> Attractor:
    """Iterate, aggregate on the orbit's own bounding box, and classify one vector v."""
    x0, y0, a, b, c, d = (float(p) for p in params)
    params = np.array([x0, y0, a, b, c, d])
    xs, ys = trajectory(x0, y0, a, b, c, d, settings.points, settings.burn_in)
    bounds = bounding_box(xs, ys)
    shape = (settings.size, settings.size)

    def rejected(status, lyapunov=np.nan):
        return Attractor(params, None, bounds, 0.0, lyapunov, status, _shape=shape)

    if not np.all(np.isfinite(bounds)):
        return rejected("nonfinite")
    lyapunov = lyapunov_exponent(xs[0], ys[0], a, b, c, d, min(settings.points, LYAPUNOV_STEPS))
    xmin, xmax, ymin, ymax = bounds
    period = cycle_period(xs, ys, MAX_CYCLE_PERIOD)
    if xmax == xmin or ymax == ymin or period == 1:
        return rejected("fixed_point", lyapunov)
    counts = aggregate(xs, ys, xmin, xmax, ymin, ymax, settings.size)
    filled = coverage(counts)
    status = "ok"
    if period > 1:
        status = "short_cycle"
    elif filled < settings.min_coverage:
        status = "low_coverage"
    return Attractor(params, counts, bounds, filled, lyapunov, status, _shape=shape)


def render(params, size: int = 128, points: int = 1_000_000, burn_in: int = 100, palette: str = "blue") -> Image.Image:
    """The RGB image of the attractor with parameter vector (x0, y0, a, b, c, d)."""
    attractor = iterate(params, RenderSettings(size=size, points=points, burn_in=burn_in))
    return Image.fromarray(attractor.image(palette), mode="RGB")
