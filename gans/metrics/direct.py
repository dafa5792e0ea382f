"""Direct correspondence, the original experiment made quantitative: does G(v) look like FD(v)?

For the same v, the occupancy IoU of G(v) and FD(v) (which pixels the attractor visits) and their
distance in the FDD regressor's feature space, against the same measures for shuffled pairs
(G(v_i) against FD(v_j)); and R^2 of the regressor's reading of G(v) against v. Smoothness: along a
straight path in v, whether G's image changes track FD's.

Plain IoU thresholds G(v) at a fixed brightness, so a blurry or bright G is "on" everywhere and a
constant all-on image scores the coverage of FD(v). The measures that separate: the coverage-matched
IoU (G(v)'s brightest pixels, as many as FD(v) has on), its normalised gain over shuffled pairs, and
retrieval of FD(v) among candidates. Baselines a G must beat: :func:`all_on`,
:func:`nearest_neighbour_images` (lookup by the identifiable targets) and :func:`oracle_images`.
"""

import numpy as np
import torch
from sklearn.metrics import r2_score
from sklearn.neighbors import NearestNeighbors

from fractaldream.errors import UsageError
from fractaldream.identifiable import identifiable_targets
from gans.metrics import defaults


def occupancy(images: torch.Tensor, threshold: float = defaults.OCCUPANCY_THRESHOLD) -> torch.Tensor:
    """Images in [0, 1] (N, C, H, W) -> (N, H, W) masks of the pixels brighter than the black background."""
    return images.amax(dim=1) > threshold


def occupancy_iou(a: torch.Tensor, b: torch.Tensor) -> np.ndarray:
    """IoU per pair of images in [0, 1]; two empty images count as identical."""
    ma, mb = occupancy(a), occupancy(b)
    inter, union = (ma & mb).sum(dim=(1, 2)).double(), (ma | mb).sum(dim=(1, 2)).double()
    return torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(union)).numpy()


def brightness(images: torch.Tensor) -> torch.Tensor:
    """Images in [0, 1] (N, C, H, W) -> (N, H * W): each pixel's brightest channel, as ``occupancy`` reads it."""
    return images.amax(dim=1).flatten(1).float()


def _matched_iou(bright: torch.Tensor, descending: torch.Tensor, target: torch.Tensor) -> np.ndarray:
    """IoU of the k brightest pixels of each row of ``bright`` with ``target`` (k = its on pixels).

    ``descending`` is ``bright`` sorted per row. Pixels tied at the k-th brightness are taken
    fractionally, as a random tie-break would on average: a constant image then scores the chance
    overlap k / (2 * pixels - k), whatever its pixels' order.
    """
    k = target.sum(dim=1)
    kth = descending.gather(1, (k - 1).clamp(min=0)[:, None])
    above, tied = bright > kth, bright == kth
    from_tied = (k - above.sum(dim=1)).double() / tied.sum(dim=1).double()
    inter = (above & target).sum(dim=1).double() + from_tied * (tied & target).sum(dim=1).double()
    iou = inter / (2 * k.double() - inter).clamp(min=1e-12)
    return torch.where(k > 0, iou, torch.ones_like(iou)).numpy()  # FD empty: G picks no pixel, both empty


def coverage_matched_iou(generated: torch.Tensor, rendered: torch.Tensor,
                         threshold: float = defaults.OCCUPANCY_THRESHOLD) -> np.ndarray:
    """IoU per pair of FD's on pixels with as many of G's brightest pixels, so brightness and blur cannot game it."""
    bright = brightness(generated)
    return _matched_iou(bright, bright.sort(dim=1, descending=True).values, occupancy(rendered, threshold).flatten(1))


def normalised_gain(paired: float, shuffled: float) -> float:
    """(paired - shuffled) / (1 - shuffled): 0 for no better than shuffled pairs, 1 for perfect."""
    return float((paired - shuffled) / (1 - shuffled)) if shuffled < 1 else float("nan")


def derangement(n: int, seed: int = defaults.SEED) -> np.ndarray:
    """A permutation with no fixed point: the shuffled partner of each row."""
    order = np.random.default_rng(seed).permutation(n)
    partner = np.empty(n, dtype=int)
    partner[order] = np.roll(order, 1)
    return partner


def distractors(n: int, count: int, seed: int = defaults.SEED) -> np.ndarray:
    """(n, count): for each row, ``count`` other rows drawn at random without replacement."""
    rng = np.random.default_rng(seed)
    drawn = np.stack([rng.choice(n - 1, count, replace=False) for _ in range(n)])
    return drawn + (drawn >= np.arange(n)[:, None])  # skip the row itself


def retrieval_hits(generated: torch.Tensor, rendered: torch.Tensor, candidates: int = defaults.RETRIEVAL_CANDIDATES,
                   seed: int = defaults.SEED) -> np.ndarray:
    """Per pair, whether G(v_i) picks FD(v_i) among ``candidates`` renders (FD(v_i) and others of the set).

    Candidates are ranked by coverage-matched IoU; a tie at the top counts as a random pick among the
    tied (1 / their number). The mean is the top-1 retrieval accuracy; chance is 1 / ``candidates``.
    """
    n = len(rendered)
    if not 2 <= candidates <= n:
        raise UsageError(f"retrieval needs 2 to {n} candidates (the number of images), got {candidates}")
    bright = brightness(generated)
    descending = bright.sort(dim=1, descending=True).values
    targets = occupancy(rendered).flatten(1)
    true = _matched_iou(bright, descending, targets)
    others = np.stack([_matched_iou(bright, descending, targets[torch.as_tensor(column)])
                       for column in distractors(n, candidates - 1, seed).T], axis=1)
    best_other = others.max(axis=1)
    ties = (others == true[:, None]).sum(axis=1)
    return np.where(true > best_other, 1.0, np.where(true == best_other, 1 / (1 + ties), 0.0))


def all_on(like: torch.Tensor) -> torch.Tensor:
    """The constant baseline: every pixel fully on, images shaped like ``like``."""
    return torch.ones_like(like)


def nearest_neighbour_images(v: np.ndarray, train_v: np.ndarray, train_images: torch.Tensor) -> torch.Tensor:
    """The lookup baseline: for each v, the training image whose identifiable targets are nearest to v's.

    v and ``train_v`` are raw FDD vectors (or rescaled per column with 0 kept at 0); targets are
    standardised by the training set's spread, so each counts alike.
    """
    known, query = identifiable_targets(train_v), identifiable_targets(v)
    scale = known.std(axis=0)
    scale[scale == 0] = 1.0
    nearest = NearestNeighbors(n_neighbors=1).fit(known / scale).kneighbors(query / scale, return_distance=False)
    return train_images[torch.as_tensor(nearest[:, 0])]


def oracle_images(rendered: torch.Tensor, train_images: torch.Tensor) -> torch.Tensor:
    """The memorising ceiling: for each FD(v), the training image with the best coverage-matched IoU against it.

    Costs len(train_images) x pixels x (distinct on-pixel counts k + len(rendered)): the FD(v) with the same
    k share each training image's top-k mask, and their intersections with it are one matrix product.
    """
    bright = brightness(train_images)
    descending = bright.sort(dim=1, descending=True).values
    targets = occupancy(rendered).flatten(1)
    counts = targets.sum(dim=1)
    best = torch.zeros(len(rendered), dtype=torch.long)  # FD empty: every image scores 1, the first will do
    for k in counts.unique().tolist():
        if k == 0:
            continue
        rows = (counts == k).nonzero()[:, 0]
        kth = descending[:, k - 1:k]
        above, tied = bright > kth, bright == kth
        from_tied = (k - above.sum(dim=1, keepdim=True)).double() / tied.sum(dim=1, keepdim=True).double()
        group = targets[rows].T.float()
        inter = (above.float() @ group).double() + from_tied * (tied.float() @ group).double()
        best[rows] = torch.argmax(inter / (2 * k - inter), dim=0)
    return train_images[best]


def direct_correspondence(generated: torch.Tensor, rendered: torch.Tensor, v: np.ndarray, extractor, regressor,
                          seed: int = defaults.SEED) -> dict:
    """``generated`` = G(v_i), ``rendered`` = FD(v_i), both in [0, 1]; ``extractor`` gives the regressor's features.

    ``v`` holds what the regressor predicts for FD(v_i), one column per output (``r2_direct`` follows them).
    ``*_gain`` is the normalised gain of the paired mean over the shuffled one; ``retrieval`` the top-1
    accuracy among ``retrieval_candidates`` renders (chance: its inverse).
    """
    partner = derangement(len(v), seed)
    g_features, fd_features = extractor.features(generated), extractor.features(rendered)
    distance = np.linalg.norm(g_features - fd_features, axis=1)
    shuffled_distance = np.linalg.norm(g_features - fd_features[partner], axis=1)
    predicted = regressor.predict(generated)
    iou, iou_shuffled = occupancy_iou(generated, rendered).mean(), occupancy_iou(generated, rendered[partner]).mean()
    matched = coverage_matched_iou(generated, rendered).mean()
    matched_shuffled = coverage_matched_iou(generated, rendered[partner]).mean()
    candidates = min(defaults.RETRIEVAL_CANDIDATES, len(v))
    return {
        "iou": float(iou),
        "iou_shuffled": float(iou_shuffled),
        "iou_gain": normalised_gain(iou, iou_shuffled),
        "iou_matched": float(matched),
        "iou_matched_shuffled": float(matched_shuffled),
        "iou_matched_gain": normalised_gain(matched, matched_shuffled),
        "retrieval": float(retrieval_hits(generated, rendered, candidates, seed).mean()),
        "retrieval_candidates": candidates,
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
