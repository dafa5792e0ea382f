"""Bootstrap intervals: how far a metric could move with another sample of the same size.

Rows are resampled with replacement (the same rows of every array given), with a fixed seed, and the
statistic recomputed on each resample. The interval is their percentile interval (95% by default)
re-centred on the statistic of the data: the resamples' spread around their own mean, placed around
the estimate. Duplicated rows shift plug-in estimates (MIG's mutual information of a second-best code
rises by about bins^2 / 2n nats per resample, so at n = 2,000 every resample's MIG can fall below the
data's); the shift is an artefact of resampling, the spread is what the interval is for. Per-item metrics (an IoU per pair, a retrieval hit per query) use :func:`mean_interval`;
set-level metrics (MIG, SAP, DCI, a normalised gain of two means) pass their own statistic to
:func:`bootstrap_interval`, which defaults to fewer resamples because each one refits the metric.

One caution: a statistic with its own held-out split (the probes, DCI's informativeness) must not see
a duplicated row on both sides: pass the split's labels as ``strata`` and as one of the arrays, so
rows are resampled within each side and the statistic knows which side a row is on. A bound may
leave the metric's range (a MIG near 0 can get a lower bound below 0).
"""

from dataclasses import dataclass

import numpy as np

from fractaldream.errors import UsageError
from gans.metrics import defaults


@dataclass(frozen=True)
class Interval:
    """The statistic on the data, and the bounds of its bootstrap interval."""

    estimate: float
    low: float
    high: float


def resampled_rows(n: int, rng: np.random.Generator, strata=None) -> np.ndarray:
    """n row indices drawn with replacement; with ``strata`` (labels, n), each stratum keeps its size."""
    if strata is None:
        return rng.integers(n, size=n)
    strata = np.asarray(strata)
    return np.concatenate([rng.choice(rows, size=len(rows)) for rows in
                           (np.flatnonzero(strata == label) for label in np.unique(strata))])


def bootstrap_intervals(statistics, *arrays, resamples: int = defaults.BOOTSTRAP_STATISTIC_RESAMPLES,
                        level: float = defaults.BOOTSTRAP_LEVEL, seed: int = defaults.SEED,
                        strata=None) -> dict[str, Interval]:
    """Re-centred percentile intervals of every value of ``statistics(*arrays)`` (a dict of numbers), from
    the same ``resamples`` resamples of the rows: one refit serves all the statistics it returns."""
    arrays = [np.asarray(array) for array in arrays]
    n = len(arrays[0]) if arrays else 0
    if n < 2 or any(len(array) != n for array in arrays):
        raise UsageError(f"a bootstrap needs arrays of one length of at least 2 rows, got {[len(a) for a in arrays]}")
    if strata is not None and len(strata) != n:
        raise UsageError(f"strata have {len(strata)} labels for {n} rows")
    if resamples < 1 or not 0 < level < 1:
        raise UsageError(f"a bootstrap needs resamples >= 1 and a level in (0, 1), got {resamples} and {level}")
    rng = np.random.default_rng(seed)
    estimates = {key: float(value) for key, value in statistics(*arrays).items()}
    values = {key: [] for key in estimates}
    for _ in range(resamples):
        rows = resampled_rows(n, rng, strata)
        for key, value in statistics(*(array[rows] for array in arrays)).items():
            values[key].append(float(value))
    tail = (1 - level) / 2
    intervals = {}
    for key, estimate in estimates.items():
        low, high = estimate + np.quantile(np.subtract(values[key], np.mean(values[key])), [tail, 1 - tail])
        intervals[key] = Interval(estimate, float(low), float(high))
    return intervals


def bootstrap_interval(statistic, *arrays, resamples: int = defaults.BOOTSTRAP_STATISTIC_RESAMPLES,
                       level: float = defaults.BOOTSTRAP_LEVEL, seed: int = defaults.SEED, strata=None) -> Interval:
    """Re-centred percentile interval of ``statistic(*arrays)`` over ``resamples`` resamples of their rows."""
    return bootstrap_intervals(lambda *rows: {"value": statistic(*rows)}, *arrays, resamples=resamples, level=level,
                               seed=seed, strata=strata)["value"]


def mean_interval(values, resamples: int = defaults.BOOTSTRAP_RESAMPLES, level: float = defaults.BOOTSTRAP_LEVEL,
                  seed: int = defaults.SEED) -> Interval:
    """Interval of the mean of a per-item metric (one value per pair, image or query)."""
    return bootstrap_interval(np.mean, np.asarray(values, dtype=np.float64), resamples=resamples, level=level,
                              seed=seed)
