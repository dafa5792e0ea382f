"""The Fractal Dream map, its trajectory and its largest Lyapunov exponent (numba kernels).

    x' = sin(b*y) + c*sin(b*x)
    y' = sin(a*x) + d*sin(a*y)

A trajectory starts at (x0, y0); the first ``burn_in`` iterates are discarded and the next
``points`` iterates are kept, so with ``burn_in=0`` the start point is the first point kept.
"""

import math

import numba
import numpy as np

from fractaldream.settings import FACTORS  # noqa: F401  (re-exported: v's factors are named with the map)

#: Longest period that counts as a short cycle (a period-1 cycle is a fixed point).
MAX_CYCLE_PERIOD = 256
#: Orbit steps over which the Lyapunov exponent is averaged (a prefix: its cost stays negligible).
LYAPUNOV_STEPS = 10_000


@numba.njit(cache=True, nogil=True, fastmath=False)
def trajectory(x0, y0, a, b, c, d, points, burn_in):
    """Float64 trajectory: the ``points`` iterates that follow ``burn_in`` discarded ones."""
    x, y = x0, y0
    for _ in range(burn_in):
        x, y = math.sin(b * y) + c * math.sin(b * x), math.sin(a * x) + d * math.sin(a * y)
    xs = np.empty(points, np.float64)
    ys = np.empty(points, np.float64)
    for i in range(points):
        xs[i] = x
        ys[i] = y
        x, y = math.sin(b * y) + c * math.sin(b * x), math.sin(a * x) + d * math.sin(a * y)
    return xs, ys


@numba.njit(cache=True, nogil=True)
def lyapunov_exponent(x, y, a, b, c, d, steps):
    """Largest Lyapunov exponent along the orbit from (x, y), from the analytic Jacobian.

    A tangent vector is pushed through J = [[b*c*cos(b*x), b*cos(b*y)], [a*cos(a*x), a*d*cos(a*y)]]
    and renormalised every step; the exponent is the mean log growth (natural log, per step).
    """
    wx, wy = 1.0, 0.0
    total = 0.0
    for _ in range(steps):
        nx = b * c * math.cos(b * x) * wx + b * math.cos(b * y) * wy
        ny = a * math.cos(a * x) * wx + a * d * math.cos(a * y) * wy
        norm = math.sqrt(nx * nx + ny * ny)
        if norm == 0.0 or not math.isfinite(norm):
            return -math.inf if norm == 0.0 else math.nan
        total += math.log(norm)
        wx, wy = nx / norm, ny / norm
        x, y = math.sin(b * y) + c * math.sin(b * x), math.sin(a * x) + d * math.sin(a * y)
    return total / steps


@numba.njit(cache=True, nogil=True)
def cycle_period(xs, ys, max_period):
    """Smallest k <= max_period with the last point equal to the one k steps before it, else 0.

    An attracting cycle converges to machine precision long before a million iterations, so an
    exact repeat at the end of the orbit identifies fixed points (k = 1) and short cycles.
    """
    n = xs.shape[0]
    last_x, last_y = xs[n - 1], ys[n - 1]
    for k in range(1, min(max_period, n - 1) + 1):
        if xs[n - 1 - k] == last_x and ys[n - 1 - k] == last_y:
            return k
    return 0
