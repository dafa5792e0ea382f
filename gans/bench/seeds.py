"""A bench over several training seeds: its per-seed rows summed up as one row per model and code method.

Over n >= 2 seeds, each score (a column declared ``scored``) is the mean of the seeds' values with its
95% Student-t interval, mean +- t(n-1) s / sqrt(n): the spread from training again, which the within-run
bootstrap intervals of each seed's row (kept in ``table_seeds.csv``) do not see. The other numbers (steps,
timings, counts) are the seeds' mean, or their common value. A group of one seed keeps its row as it is,
within-run intervals included.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.stats

from gans.bench.correspondence import interval_columns
from gans.bench.report import BOUNDS, declared_columns, filled
from gans.metrics import defaults
from gans.metrics.uncertainty import Interval

#: The level of the intervals across seeds: that of the within-run intervals.
LEVEL = defaults.BOOTSTRAP_LEVEL


def t_interval(values, level: float = LEVEL) -> Interval:
    """The mean of two or more values and its Student-t interval."""
    values = np.asarray(values, dtype=np.float64)
    mean = float(values.mean())
    half = scipy.stats.t.ppf((1 + level) / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return Interval(mean, mean - float(half), mean + float(half))


def per_model(seed_rows: list[dict]) -> list[dict]:
    """One row per (model, codes) of the per-seed rows, in their order, with the number of its seeds in ``seeds``."""
    groups = {}
    for row in seed_rows:
        groups.setdefault((row["model"], row["codes"]), []).append(row)
    return [summed(rows) for rows in groups.values()]


def summed(rows: list[dict]) -> dict:
    """The rows of one model and code method, one per training seed, as one row."""
    if len(rows) == 1:
        return {**{k: v for k, v in rows[0].items() if k != "seed"}, "seeds": 1}
    scored = {c.key for c in declared_columns() if c.scored}
    row = {"model": rows[0]["model"], "codes": rows[0]["codes"], "seeds": len(rows)}
    keys = dict.fromkeys(k for r in rows for k in r if k not in (*row, "seed") and not k.endswith(BOUNDS))
    for key in keys:
        values = [r[key] for r in rows if filled(r.get(key))]
        if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
            row[key] = values[0]
        elif key in scored and len(values) > 1:
            interval_columns(row, {key: t_interval(values)})
        elif values:
            row[key] = values[0] if len(set(values)) == 1 else float(np.mean(values))
    return row
