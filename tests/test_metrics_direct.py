"""Direct correspondence pieces: occupancy IoU, shuffled partners, smoothness along paths; on real renders,
the coverage-matched IoU, its normalised gain, retrieval and the baselines a generator must beat."""

import numpy as np
import pytest
import torch

from fractaldream.errors import UsageError
from fractaldream.identifiable import NEGATE_AB, TURN
from fractaldream.render import RenderSettings, iterate_batch
from gans.metrics.direct import (all_on, coverage_matched_iou, derangement, distractors, nearest_neighbour_images,
                                 normalised_gain, occupancy, occupancy_iou, oracle_images, retrieval_hits,
                                 smoothness, step_distances)


def disc(radius: float, size: int = 16) -> torch.Tensor:
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    mask = ((xx - size / 2) ** 2 + (yy - size / 2) ** 2 < radius ** 2).float()
    return (mask * torch.tensor([0.1, 0.4, 0.9]).view(3, 1, 1))[None]  # blue on black, like FDD


def test_occupancy_iou_compares_the_visited_pixels_not_the_colours():
    a, b = disc(5), disc(5)
    assert occupancy_iou(a, b * 0.5)[0] == 1.0  # dimmer but the same pixels (0.45 > 0.15)
    assert 0 < occupancy_iou(disc(3), disc(6))[0] < 0.5
    assert occupancy_iou(torch.zeros(1, 3, 16, 16), torch.zeros(1, 3, 16, 16))[0] == 1.0
    assert occupancy_iou(disc(4), torch.zeros(1, 3, 16, 16))[0] == 0.0


def test_derangement_moves_every_row():
    for n in (2, 3, 10, 101):
        partner = derangement(n, seed=n)
        assert sorted(partner) == list(range(n)) and not np.any(partner == np.arange(n))


def test_smoothness_tracks_where_the_images_change():
    steps = torch.linspace(0, 1, 9) ** 3  # uneven change along the path
    fd_path = steps.view(-1, 1, 1, 1).expand(9, 3, 4, 4).clone()
    assert np.allclose(step_distances(fd_path), np.diff(steps.numpy()), atol=1e-6)
    same = smoothness([fd_path * 0.5], [fd_path])
    assert same["tracking"] > 0.99 and same["jumpiness_fd"] > 2
    reversed_changes = smoothness([fd_path.flip(0)], [fd_path])
    assert reversed_changes["tracking"] < 0


# -- on real renders ----------------------------------------------------------------------------------
N_EVAL = 200


@pytest.fixture(scope="module")
def renders():
    """(images in [0, 1], raw v) of about 900 accepted attractors at 32x32: 200 to evaluate, the rest to train."""
    rng = np.random.default_rng(21)
    v = np.hstack([rng.uniform(-1, 1, (1600, 2)), rng.uniform(-3, 3, (1600, 4))])
    accepted = [a for a in iterate_batch(v, RenderSettings(size=32, points=20_000, min_coverage=0.05)) if a.ok]
    images = torch.stack([torch.from_numpy(a.image("blue")).permute(2, 0, 1) for a in accepted]).float() / 255
    return images, np.stack([a.params for a in accepted])


def matched_gain(generated, rendered, seed=0):
    partner = derangement(len(rendered), seed)
    return normalised_gain(coverage_matched_iou(generated, rendered).mean(),
                           coverage_matched_iou(generated, rendered[partner]).mean())


def test_a_perfect_generator_scores_one_however_dim_its_images(renders):
    rendered = renders[0][:N_EVAL]
    for generated in (rendered, rendered * 0.1):
        assert np.all(coverage_matched_iou(generated, rendered) == 1.0)
        assert matched_gain(generated, rendered) == 1.0
        assert retrieval_hits(generated, rendered).mean() == 1.0
    assert occupancy_iou(rendered * 0.1, rendered).max() == 0.0  # the plain IoU loses a dim copy entirely


def test_all_on_beats_shuffled_pairs_in_plain_iou_but_gains_nothing(renders):
    rendered = renders[0][:N_EVAL]
    constant = all_on(rendered)
    shuffled_plain = occupancy_iou(rendered, rendered[derangement(N_EVAL)]).mean()
    assert occupancy_iou(constant, rendered).mean() > shuffled_plain + 0.1  # attractors fill much of their own box
    assert abs(matched_gain(constant, rendered)) < 1e-12
    assert abs(retrieval_hits(constant, rendered).mean() - 0.1) < 0.08  # chance: 1 of 10 candidates
    # Ties at the threshold are shared: a constant image overlaps as chance does, k / (2 * pixels - k).
    coverage = occupancy(rendered).flatten(1).float().mean(dim=1).double().numpy()
    assert np.allclose(coverage_matched_iou(constant, rendered), coverage / (2 - coverage))


def test_renders_of_other_vectors_sit_at_the_floor(renders):
    rendered = renders[0][:N_EVAL]
    others = rendered[derangement(N_EVAL, seed=5)]
    assert abs(matched_gain(others, rendered)) < 0.1
    assert retrieval_hits(others, rendered).mean() < 0.25


def test_lookup_by_identifiable_targets_beats_the_floor_and_the_oracle_beats_the_lookup(renders):
    images, v = renders
    rendered, train_images, train_v = images[:N_EVAL], images[N_EVAL:], v[N_EVAL:]
    # Vectors with the same identifiable targets find the same training image.
    twins = NEGATE_AB.transform_v(TURN.transform_v(train_v[:20]))
    assert torch.equal(nearest_neighbour_images(twins, train_v, train_images), train_images[:20])
    lookup = nearest_neighbour_images(v[:N_EVAL], train_v, train_images)
    oracle = oracle_images(rendered, train_images)
    assert matched_gain(lookup, rendered) > 0.05
    assert np.all(coverage_matched_iou(oracle, rendered) >= coverage_matched_iou(lookup, rendered))
    assert matched_gain(oracle, rendered) > matched_gain(lookup, rendered)
    assert torch.equal(oracle_images(train_images[:5], train_images), train_images[:5])


def test_retrieval_draws_other_candidates_and_needs_enough_images():
    drawn = distractors(50, 9, seed=3)
    assert drawn.shape == (50, 9) and not np.any(drawn == np.arange(50)[:, None])
    assert all(len(set(row)) == 9 for row in drawn)
    with pytest.raises(UsageError, match="candidates"):
        retrieval_hits(torch.zeros(5, 3, 8, 8), torch.zeros(5, 3, 8, 8), candidates=10)
