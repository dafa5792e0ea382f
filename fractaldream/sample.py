"""Parameter vectors v = (x0, y0, a, b, c, d), one reproducible stream per seed.

Candidate k of a build draws its six uniforms from ``numpy.random.default_rng([seed, k])``, so a
vector depends only on (seed, k, ranges): never on the number of workers, the batch it was
computed in, or where it ran. Other users of the sampler (the on-the-fly stream) put a ``domain``
key between seed and k, ``default_rng([seed, *domain, k])``: a different entropy, so their vectors
never meet a build's.
"""

import numpy as np

from fractaldream.settings import factor_ranges


def sample_parameters(seed: int, first: int, count: int, range_xy, range_abcd, domain: tuple = ()) -> np.ndarray:
    """Candidates first..first+count-1 as a (count, 6) float64 array."""
    lows, highs = np.array(factor_ranges(range_xy, range_abcd), dtype=np.float64).T
    uniforms = np.stack([np.random.default_rng([seed, *domain, k]).random(6) for k in range(first, first + count)])
    return lows + uniforms * (highs - lows)
