"""KID (Binkowski et al. 2018): unbiased MMD^2 with the cubic polynomial kernel, averaged over subsets."""

import numpy as np

from gans.metrics import defaults


def polynomial_kernel(x: np.ndarray, y: np.ndarray, degree=defaults.KID_DEGREE, coef0=defaults.KID_COEF0) -> np.ndarray:
    return (x @ y.T / x.shape[1] + coef0) ** degree


def unbiased_mmd2(x: np.ndarray, y: np.ndarray, **kernel) -> float:
    m, n = len(x), len(y)
    k_xx, k_yy, k_xy = polynomial_kernel(x, x, **kernel), polynomial_kernel(y, y, **kernel), polynomial_kernel(x, y, **kernel)
    return float(
        (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
        + (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
        - 2 * k_xy.mean()
    )


def kernel_distance(generated: np.ndarray, real: np.ndarray, subsets=defaults.KID_SUBSETS,
                    subset_size=defaults.KID_SUBSET_SIZE, seed=defaults.SEED) -> dict:
    """``kid_mean`` and ``kid_std`` of the MMD^2 over ``subsets`` random subsets of each set.

    A subset holds ``subset_size`` samples, or all of the smaller set's. When both sets have at most
    ``subset_size`` samples every subset is the whole of both, so there is no spread to measure: then
    ``kid_mean`` is the MMD^2 of the two whole sets and ``kid_std`` is NaN (torch-fidelity refuses instead).
    When only one set is that small, ``kid_std`` shows the other set's subsampling alone.
    """
    size = min(subset_size, len(generated), len(real))
    if size < 2:
        raise ValueError(f"KID needs at least 2 samples per set, got {len(generated)} and {len(real)}")
    if size == len(generated) == len(real):
        return {"kid_mean": unbiased_mmd2(generated, real), "kid_std": float("nan")}
    rng = np.random.default_rng(seed)
    values = [
        unbiased_mmd2(generated[rng.choice(len(generated), size, replace=False)],
                      real[rng.choice(len(real), size, replace=False)])
        for _ in range(subsets)
    ]
    return {"kid_mean": float(np.mean(values)), "kid_std": float(np.std(values))}
