"""Improved precision and recall (Kynkaanniemi et al. 2019) on k-nearest-neighbour manifolds of features.

Precision: the share of generated samples inside the real manifold (the union of balls around each
real sample reaching its k-th nearest real neighbour); recall: the share of real samples inside the
generated manifold.
"""

import numpy as np
import torch

from gans.metrics import defaults

_ROWS = 1024


def _distances(a: torch.Tensor, b: torch.Tensor):
    for start in range(0, len(a), _ROWS):
        yield start, torch.cdist(a[start:start + _ROWS], b)


def neighbour_radii(features: torch.Tensor, k: int) -> torch.Tensor:
    """Distance of each sample to its k-th nearest other sample."""
    radii = torch.empty(len(features), dtype=features.dtype)
    for start, dist in _distances(features, features):
        # The k+1-th smallest, since each sample is its own nearest neighbour at distance 0.
        radii[start:start + len(dist)] = dist.kthvalue(k + 1, dim=1).values
    return radii


def coverage_of(manifold: torch.Tensor, radii: torch.Tensor, queries: torch.Tensor) -> float:
    inside = torch.zeros(len(queries), dtype=torch.bool)
    for start, dist in _distances(queries, manifold):
        inside[start:start + len(dist)] = (dist <= radii[None, :]).any(dim=1)
    return float(inside.double().mean())


def precision_recall(generated: np.ndarray, real: np.ndarray, k: int = defaults.PR_NEIGHBOURS) -> dict:
    if min(len(generated), len(real)) <= k:
        raise ValueError(f"precision/recall with k={k} needs more than {k} samples per set")
    gen, ref = torch.as_tensor(generated, dtype=torch.float64), torch.as_tensor(real, dtype=torch.float64)
    return {
        "precision": coverage_of(ref, neighbour_radii(ref, k), gen),
        "recall": coverage_of(gen, neighbour_radii(gen, k), ref),
    }
