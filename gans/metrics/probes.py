"""Probes: how much of each factor a code predicts on held-out rows (R^2 per factor)."""

import numpy as np
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from gans.metrics import defaults


def train_test_rows(n: int, test_fraction=defaults.TEST_FRACTION, seed=defaults.SEED):
    rows = np.random.default_rng(seed).permutation(n)
    n_test = max(2, int(round(n * test_fraction)))
    return rows[n_test:], rows[:n_test]


def linear_probe_r2(codes: np.ndarray, factors: np.ndarray, train, test) -> list[float]:
    """Held-out R^2 per factor of one least-squares fit from the (standardised) codes."""
    probe = make_pipeline(StandardScaler(), LinearRegression()).fit(codes[train], factors[train])
    return r2_score(factors[test], probe.predict(codes[test]), multioutput="raw_values").tolist()
