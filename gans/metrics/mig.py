"""MIG, the Mutual Information Gap (Chen et al. 2018), estimated as in disentanglement_lib.

Each column of the codes and of the factors is discretised on its own: a column with at most ``bins``
distinct values (a sign, a class, any discrete factor) keeps its values as they are; only a column with
more distinct values than bins is binned (equal-width histogram over its range), as disentanglement_lib
bins continuous codes and keeps discrete factors. For each factor, the gap between the two codes sharing
the most information with it, over the factor's entropy, averaged over factors. The plug-in estimate is
biased upward at small n (roughly bins^2 / 2n nats per pair): use thousands of rows.
"""

import numpy as np
from sklearn.metrics import mutual_info_score

from gans.metrics import defaults


def discretize(values: np.ndarray, bins: int = defaults.MIG_BINS) -> np.ndarray:
    """Each column -> integer labels: its distinct values when it has at most ``bins``, else histogram bins."""
    columns = []
    for column in values.T:
        levels, labels = np.unique(column, return_inverse=True)
        if len(levels) > bins:
            labels = np.digitize(column, np.histogram(column, bins)[1][:-1])
        columns.append(labels)
    return np.stack(columns, axis=1)


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
