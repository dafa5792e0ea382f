"""DCI (Eastwood and Williams 2018): disentanglement, completeness and informativeness.

One gradient-boosted regression forest per factor, trained on the train rows; its feature
importances make the importance matrix R (codes x factors). As in disentanglement_lib:
disentanglement of code i is 1 - H_K(P_i.) with P_ij = R_ij / sum_j R_ij, weighted by the code's share
of the total importance; completeness of factor j is 1 - H_D(P~_.j) with P~_ij = R_ij / sum_i R_ij,
weighted likewise. Informativeness is reported as the forests' mean held-out R^2 (higher is better),
and the per-factor R^2 doubles as the non-linear probe.
"""

import os

import joblib
import numpy as np
import scipy.stats
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.metrics import r2_score

from gans.metrics import defaults


def importance_matrix(codes, factors, train, test, trees=defaults.GBT_TREES, depth=defaults.GBT_DEPTH,
                      seed=defaults.SEED):
    """(R, held-out R^2 per factor): R[i, j] is how much code i matters for predicting factor j."""
    def fitted(j):
        forest = GradientBoostingRegressor(n_estimators=trees, max_depth=depth, random_state=seed)
        return forest.fit(codes[train], factors[train, j])

    # sklearn grows trees without the GIL, so threads fit the factors' forests side by side.
    forests = joblib.Parallel(n_jobs=min(factors.shape[1], os.cpu_count() or 1), prefer="threads")(
        joblib.delayed(fitted)(j) for j in range(factors.shape[1]))
    importance = np.abs(np.stack([forest.feature_importances_ for forest in forests], axis=1))
    r2 = [float(r2_score(factors[test, j], forest.predict(codes[test]))) for j, forest in enumerate(forests)]
    return importance, r2


def _one_minus_entropy(distributions: np.ndarray, base: int) -> np.ndarray:
    """1 - normalised entropy of each column; a single outcome is perfectly concentrated."""
    if base < 2:
        return np.ones(distributions.shape[1])
    return 1.0 - scipy.stats.entropy(distributions + 1e-11, base=base)


def disentanglement(importance: np.ndarray) -> float:
    if importance.sum() == 0:
        return 0.0
    per_code = _one_minus_entropy(importance.T, base=importance.shape[1])
    return float(np.sum(per_code * importance.sum(axis=1) / importance.sum()))


def completeness(importance: np.ndarray) -> float:
    if importance.sum() == 0:
        return 0.0
    per_factor = _one_minus_entropy(importance, base=importance.shape[0])
    return float(np.sum(per_factor * importance.sum(axis=0) / importance.sum()))


def dci(codes, factors, train, test) -> dict:
    importance, r2 = importance_matrix(codes, factors, train, test)
    return {
        "dci_disentanglement": disentanglement(importance),
        "dci_completeness": completeness(importance),
        "dci_informativeness": float(np.mean(r2)),
        "r2_nonlinear": r2,
        "importance": importance,
    }
