"""Correspondence between codes Z (n x k) and known factors V (n x m): probes, MIG, SAP and DCI in one call.

Score FDD codes against what an image can determine, ``fractaldream.identifiable.identifiable_targets(v)``,
never against the raw signed v (see that module). Sign targets (values -1 and +1) are scored like the
others, as numbers: their probe scores are the R^2 of the +-1 target (0: no better than its mean,
1: read perfectly), so every per-target score and every mean over targets is on one scale. For a
calibrated predictor of a balanced sign, R^2 is at least (2 accuracy - 1)^2, equal when its confidence
is the same on every row (accuracy 0.73 -> R^2 0.21).
MIG keeps a sign as its two levels; SAP's squared correlation is the same R^2 for one code.
"""

import numpy as np

from fractaldream.errors import UsageError
from gans.metrics import defaults
from gans.metrics.dci import dci
from gans.metrics.mig import mig
from gans.metrics.probes import linear_probe_r2, train_test_rows
from gans.metrics.sap import sap

#: The scores ``correspondence`` returns, in table order.
KEYS = ("mig", "sap", "dci_disentanglement", "dci_completeness", "dci_informativeness", "r2_linear", "r2_nonlinear")

MIN_ROWS = 10
#: Codes and factors beyond this magnitude are refused: the probes fit in float32 and sum squares.
MAX_MAGNITUDE = 1e12


def check_codes_and_factors(codes, factors) -> tuple[np.ndarray, np.ndarray]:
    for name, array in (("codes", np.asarray(codes)), ("factors", np.asarray(factors))):
        if array.dtype.kind not in "biuf":
            raise UsageError(f"{name} must be an array of numbers, not of {array.dtype}")
    codes, factors = np.asarray(codes, dtype=np.float64), np.asarray(factors, dtype=np.float64)
    if codes.ndim == 1:
        codes = codes[:, None]
    if factors.ndim == 1:
        factors = factors[:, None]
    if codes.ndim != 2 or factors.ndim != 2:
        raise UsageError(f"codes and factors must be 2-D arrays (rows x columns), got shapes {codes.shape} and {factors.shape}")
    if len(codes) != len(factors):
        raise UsageError(f"codes have {len(codes)} rows but factors have {len(factors)}: they must be paired row by row")
    if len(codes) < MIN_ROWS:
        raise UsageError(f"correspondence needs at least {MIN_ROWS} rows, got {len(codes)}")
    if 0 in (codes.shape[1], factors.shape[1]):
        raise UsageError(f"codes and factors need at least one column each, got shapes {codes.shape} and "
                         f"{factors.shape}")
    if not (np.isfinite(codes).all() and np.isfinite(factors).all()):
        raise UsageError("codes and factors must be finite (found NaN or infinity)")
    if max(np.abs(codes).max(), np.abs(factors).max()) > MAX_MAGNITUDE:
        raise UsageError(f"codes and factors must lie within +-{MAX_MAGNITUDE:.0e}; rescale them")
    constant = np.flatnonzero(np.ptp(factors, axis=0) == 0)
    if len(constant):
        raise UsageError(f"factor column {constant[0]} is constant: how well codes predict it (R^2) is undefined")
    return codes, factors


def scores_on_split(codes: np.ndarray, factors: np.ndarray, is_test: np.ndarray) -> dict:
    """The probes and DCI, fitted on the rows where ``is_test`` is False and scored on the others."""
    train, test = np.flatnonzero(~is_test), np.flatnonzero(is_test)
    scores = dci(codes, factors, train, test)
    scores.pop("importance")
    return {**scores, "r2_linear": linear_probe_r2(codes, factors, train, test)}


def held_out_mask(n: int, test_fraction=defaults.TEST_FRACTION, seed=defaults.SEED) -> np.ndarray:
    """The held-out rows of a split of n rows, as a boolean mask."""
    is_test = np.zeros(n, dtype=bool)
    is_test[train_test_rows(n, test_fraction, seed)[1]] = True
    return is_test


def correspondence(codes, factors, test_fraction=defaults.TEST_FRACTION, seed=defaults.SEED) -> dict:
    """Every score in ``KEYS``; the R^2 lists have one entry per factor column."""
    codes, factors = check_codes_and_factors(codes, factors)
    scores = scores_on_split(codes, factors, held_out_mask(len(codes), test_fraction, seed))
    scores.update(mig=mig(codes, factors), sap=sap(codes, factors))
    return {key: scores[key] for key in KEYS}
