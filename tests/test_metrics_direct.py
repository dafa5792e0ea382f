"""Direct correspondence pieces: occupancy IoU, shuffled partners, smoothness along paths."""

import numpy as np
import torch

from gans.metrics.direct import derangement, occupancy_iou, smoothness, step_distances


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
