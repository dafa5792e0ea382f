"""What an image determines: the map's symmetries checked by rendering, and the identifiable targets.

In float64 each exact symmetry reproduces the visit counts to the last point. (The float32 fast path
mirrors the orbit exactly too, by its odd polynomial sine, but a point that lies exactly on a bin edge
floors to the other side: the turn and the row flip can move a point to the neighbouring pixel.)
"""

import numpy as np
import pytest

from fractaldream.errors import UsageError
from fractaldream.identifiable import (ANTI_DIAGONAL, EXACT_SYMMETRIES, NEGATE_AB, ROW_FLIP, SIGN_TARGETS, TARGETS,
                                       TURN, identifiable_targets)
from fractaldream.render import RenderSettings, iterate_batch

EXACT = RenderSettings(size=32, points=20_000, precision="float64", min_coverage=0.05)
#: Two renders show "the same attractor" when their visited pixels overlap this much: re-rendering one
#: attractor from another start point stays above it, two different attractors rarely reach it.
SAME_PICTURE_IOU = 0.9


def uniform_v(n: int, seed: int) -> np.ndarray:
    """Raw v drawn as the builder draws it: x0, y0 in [-1, 1], a..d in [-3, 3]."""
    rng = np.random.default_rng(seed)
    return np.hstack([rng.uniform(-1, 1, (n, 2)), rng.uniform(-3, 3, (n, 4))])


@pytest.fixture(scope="module")
def accepted():
    """About 300 accepted attractors (of 600 candidates), rendered exactly."""
    return [a for a in iterate_batch(uniform_v(600, seed=11), EXACT) if a.ok]


def occupancy_iou(p: np.ndarray, q: np.ndarray) -> float:
    return np.count_nonzero((p > 0) & (q > 0)) / max(np.count_nonzero((p > 0) | (q > 0)), 1)


def same_picture_rate(accepted, change) -> float:
    """Fraction of the attractors whose render after ``change`` (of v) shows the same visited pixels."""
    changed = iterate_batch([change(a.params) for a in accepted], EXACT)
    return float(np.mean([b.counts is not None and occupancy_iou(a.counts, b.counts) >= SAME_PICTURE_IOU
                          for a, b in zip(accepted, changed)]))


@pytest.mark.parametrize("symmetry", EXACT_SYMMETRIES, ids=lambda s: s.name)
def test_each_exact_symmetry_transforms_the_image_exactly(accepted, symmetry):
    originals = accepted[:60]
    transformed = iterate_batch([symmetry.transform_v(a.params) for a in originals], EXACT)
    for original, changed in zip(originals, transformed):
        assert changed.ok
        # Counts have row 0 = the lowest y; images are shown with the highest y on top.
        assert np.array_equal(changed.image("blue"), symmetry.transform_image(original.image("blue"), axes=(0, 1)))
        assert np.array_equal(changed.counts[::-1], symmetry.transform_image(original.counts[::-1]))
    assert not np.array_equal(originals[0].counts, transformed[0].counts)  # the symmetry changes the picture


def test_negating_a_and_b_keeps_the_picture_for_most_attractors_but_not_all(accepted):
    assert len(accepted) > 250
    rate = same_picture_rate(accepted, NEGATE_AB.transform_v)
    print(f"(a, b) -> (-a, -b) keeps the picture of {rate:.3f} of {len(accepted)} accepted attractors")
    assert 0.8 < rate < 0.97
    # Controls: another start point is forgotten almost always; negating a alone is a new attractor.
    restart = same_picture_rate(accepted, lambda v: np.r_[-v[1], v[0], v[2:]])
    negate_a = same_picture_rate(accepted, lambda v: v * [1, 1, -1, 1, 1, 1])
    print(f"controls: another start {restart:.3f}, a -> -a {negate_a:.3f}")
    assert restart > rate and negate_a < 0.3


def test_targets_are_magnitudes_sign_of_ab_and_signed_c_d():
    v = np.array([[0.1, -0.2, -1.5, 2.0, -0.7, 0.4], [0.3, 0.9, 2.5, 0.5, 1.1, -2.9]])
    assert TARGETS == ("abs_a", "abs_b", "sign_ab", "c", "d") and SIGN_TARGETS == ("sign_ab",)
    assert np.array_equal(identifiable_targets(v), [[1.5, 2.0, -1.0, -0.7, 0.4], [2.5, 0.5, 1.0, 1.1, -2.9]])
    with pytest.raises(UsageError, match="N x 6"):
        identifiable_targets(v[:, :5])


def test_targets_ignore_what_the_picture_forgets():
    v = uniform_v(1000, seed=1)
    targets = identifiable_targets(v)
    assert np.array_equal(identifiable_targets(TURN.transform_v(v)), targets)
    assert np.array_equal(identifiable_targets(NEGATE_AB.transform_v(v)), targets)
    assert not np.array_equal(identifiable_targets(v * [1, 1, -1, 1, 1, 1]), targets)  # sign(a b) is seen


@pytest.mark.parametrize("symmetry", EXACT_SYMMETRIES, ids=lambda s: s.name)
def test_targets_of_a_transformed_picture_follow_from_the_targets(symmetry):
    """Two v with the same targets (other start, (a, b) negated) still agree after any exact symmetry."""
    v = uniform_v(1000, seed=2)
    rng = np.random.default_rng(3)
    twin = v.copy()
    twin[:, :2] = rng.uniform(-1, 1, (len(v), 2))
    twin[:, 2:4] *= np.where(rng.random((len(v), 1)) < 0.5, -1.0, 1.0)
    assert np.array_equal(identifiable_targets(twin), identifiable_targets(v))
    assert np.array_equal(identifiable_targets(symmetry.transform_v(twin)), identifiable_targets(symmetry.transform_v(v)))


def test_row_flip_and_mirror_move_the_signed_targets_with_the_picture():
    v = uniform_v(100, seed=4)
    abs_a, abs_b, sign_ab, c, d = identifiable_targets(v).T
    flipped = identifiable_targets(ROW_FLIP.transform_v(v))
    assert np.array_equal(flipped, np.stack([abs_a, abs_b, sign_ab, -c, -d], axis=1))
    mirrored = identifiable_targets(ANTI_DIAGONAL.transform_v(v))
    assert np.array_equal(mirrored, np.stack([abs_b, abs_a, sign_ab, d, c], axis=1))
