"""SAP, the Separated Attribute Predictability score (Kumar et al. 2018), for continuous factors.

S[i, j] is the R^2 of a linear regression of factor j on code i alone (the squared correlation, as
in disentanglement_lib); SAP is the mean over factors of the gap between the two best codes.
"""

import numpy as np


def score_matrix(codes: np.ndarray, factors: np.ndarray) -> np.ndarray:
    scores = np.zeros((codes.shape[1], factors.shape[1]))
    for i, code in enumerate(codes.T):
        for j, factor in enumerate(factors.T):
            covariance = np.cov(code, factor, ddof=1)
            if covariance[0, 0] > 1e-12 and covariance[1, 1] > 1e-12:
                scores[i, j] = covariance[0, 1] ** 2 / (covariance[0, 0] * covariance[1, 1])
    return scores


def sap(codes: np.ndarray, factors: np.ndarray) -> float:
    scores = np.sort(score_matrix(codes, factors), axis=0)[::-1]
    second = scores[1] if len(scores) > 1 else np.zeros_like(scores[0])
    return float(np.mean(scores[0] - second))
