"""Parameter vectors v = (x0, y0, a, b, c, d), one reproducible stream per seed.

Candidate k of a build draws its six uniforms from ``numpy.random.default_rng([seed, k])``, so a
vector depends only on (seed, k, ranges): never on the number of workers, the batch it was
computed in, or where it ran.
"""

import numpy as np


def sample_parameters(seed: int, first: int, count: int, range_xy, range_abcd) -> np.ndarray:
    """Candidates first..first+count-1 as a (count, 6) float64 array."""
    lows = np.array([range_xy[0]] * 2 + [range_abcd[0]] * 4, dtype=np.float64)
    highs = np.array([range_xy[1]] * 2 + [range_abcd[1]] * 4, dtype=np.float64)
    uniforms = np.stack([np.random.default_rng([seed, k]).random(6) for k in range(first, first + count)])
    return lows + uniforms * (highs - lows)
