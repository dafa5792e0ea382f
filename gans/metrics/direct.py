"""Direct correspondence, the original experiment made quantitative: does G(v) look like FD(v)?

For the same v, the occupancy IoU of G(v) and FD(v) (which pixels the attractor visits) and their
distance in the FDD regressor's feature space, against the same measures for shuffled pairs
(G(v_i) against FD(v_j)); and R^2 of the regressor's reading of G(v) against v. Smoothness: along a
straight path in v, whether G's image changes track FD's.
"""

import numpy as np
import torch
from sklearn.metrics import r2_score

from gans.metrics import defaults


def occupancy(images: torch.Tensor, threshold: float = defaults.OCCUPANCY_THRESHOLD) -> torch.Tensor:
    """Images in [0, 1] (N, C, H, W) -> (N, H, W) masks of the pixels brighter than the black background."""
    return images.amax(dim=1) > threshold


def occupancy_iou(a: torch.Tensor, b: torch.Tensor) -> np.ndarray:
    """IoU per pair of images in [0, 1]; two empty images count as identical."""
    ma, mb = occupancy(a), occupancy(b)
    inter, union = (ma & mb).sum(dim=(1, 2)).double(), (ma | mb).sum(dim=(1, 2)).double()
    return torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(union)).numpy()


def derangement(n: int, seed: int = defaults.SEED) -> np.ndarray:
    """A permutation with no fixed point: the shuffled partner of each row."""
    order = np.random.default_rng(seed).permutation(n)
    partner = np.empty(n, dtype=int)
    partner[order] = np.roll(order, 1)
    return partner


def direct_correspondence(generated: torch.Tensor, rendered: torch.Tensor, v: np.ndarray, extractor, regressor,
                          seed: int = defaults.SEED) -> dict:
    """``generated`` = G(v_i), ``rendered`` = FD(v_i), both in [0, 1]; ``extractor`` gives the regressor's features.

    ``v`` holds what the regressor predicts for FD(v_i), one column per output (``r2_direct`` follows them).
    """
    partner = derangement(len(v), seed)
    g_features, fd_features = extractor.features(generated), extractor.features(rendered)
    distance = np.linalg.norm(g_features - fd_features, axis=1)
    shuffled_distance = np.linalg.norm(g_features - fd_features[partner], axis=1)
    predicted = regressor.predict(generated)
    return {
        "iou": float(occupancy_iou(generated, rendered).mean()),
        "iou_shuffled": float(occupancy_iou(generated, rendered[partner]).mean()),
        "feature_distance": float(distance.mean()),
        "feature_distance_shuffled": float(shuffled_distance.mean()),
        "r2_direct": r2_score(v, predicted, multioutput="raw_values").tolist(),
    }


def step_distances(path_images: torch.Tensor) -> np.ndarray:
    """Mean absolute pixel change between consecutive images of a path (K, C, H, W) -> (K - 1,)."""
    return (path_images[1:] - path_images[:-1]).abs().mean(dim=(1, 2, 3)).double().numpy()


def smoothness(generated_paths: list, rendered_paths: list) -> dict:
    """How G's step-to-step changes along v-paths relate to FD's.

    ``tracking``: mean over paths of the correlation between G's and FD's step distances (1: G changes
    where the attractor changes); ``jumpiness_g`` / ``jumpiness_fd``: mean of max step / mean step
    (1: perfectly even change along the path).
    """
    tracking, jump_g, jump_fd = [], [], []
    for g_path, fd_path in zip(generated_paths, rendered_paths):
        d_g, d_fd = step_distances(g_path), step_distances(fd_path)
        if d_g.std() > 0 and d_fd.std() > 0:
            tracking.append(np.corrcoef(d_g, d_fd)[0, 1])
        jump_g.append(d_g.max() / max(d_g.mean(), 1e-12))
        jump_fd.append(d_fd.max() / max(d_fd.mean(), 1e-12))
    return {
        "tracking": float(np.mean(tracking)) if tracking else float("nan"),
        "jumpiness_g": float(np.mean(jump_g)),
        "jumpiness_fd": float(np.mean(jump_fd)),
    }
