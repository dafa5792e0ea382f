"""MIG, the Mutual Information Gap (Chen et al. 2018), estimated as in disentanglement_lib.

Codes and factors are discretised by histogram binning per column; for each factor, the gap between
the two codes sharing the most information with it, over the factor's entropy, averaged over factors.
"""

import numpy as np
from sklearn.metrics import mutual_info_score

from gans.metrics import defaults


def discretize(values: np.ndarray, bins: int = defaults.MIG_BINS) -> np.ndarray:
    """Each column -> bin indices of an equal-width histogram over its own range."""
    return np.stack(
        [np.digitize(column, np.histogram(column, bins)[1][:-1]) for column in values.T], axis=1
    )


def mutual_information(codes_d: np.ndarray, factors_d: np.ndarray) -> np.ndarray:
    """Matrix (codes x factors) of discrete mutual information, in nats."""
    return np.array([[mutual_info_score(f, c) for f in factors_d.T] for c in codes_d.T])


def mig(codes: np.ndarray, factors: np.ndarray, bins: int = defaults.MIG_BINS) -> float:
    codes_d, factors_d = discretize(codes, bins), discretize(factors, bins)
    information = mutual_information(codes_d, factors_d)
    entropy = np.array([mutual_info_score(f, f) for f in factors_d.T])
    top = np.sort(information, axis=0)[::-1]
    second = top[1] if len(top) > 1 else np.zeros_like(top[0])
    gaps = np.divide(top[0] - second, entropy, out=np.zeros_like(entropy), where=entropy > 0)
    return float(np.mean(gaps))
