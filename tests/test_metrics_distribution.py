"""KID and precision/recall on feature sets whose answer is known."""

import numpy as np
import pytest
import torch

from gans.metrics import calculate_metrics
from gans.data.pixels import signed_to_unit
from gans.metrics.features import FeatureExtractor
from gans.metrics.registry import EXTRACTORS, create
from gans.metrics.kid import kernel_distance
from gans.metrics.precision_recall import precision_recall


@pytest.fixture(scope="module")
def gaussian_sets():
    rng = np.random.default_rng(0)
    return rng.normal(size=(400, 16)), rng.normal(size=(400, 16)), rng.normal(2.0, 1.0, size=(400, 16))


def test_kid_is_near_zero_for_one_distribution_and_positive_for_another(gaussian_sets):
    real, same, shifted = gaussian_sets
    near = kernel_distance(same, real, subsets=20, subset_size=200)
    far = kernel_distance(shifted, real, subsets=20, subset_size=200)
    assert abs(near["kid_mean"]) < 3 * near["kid_std"] + 1e-3
    assert far["kid_mean"] > 10 * max(near["kid_std"], abs(near["kid_mean"]))


def test_precision_and_recall_separate_fidelity_from_coverage(gaussian_sets):
    real, same, _ = gaussian_sets
    both = precision_recall(same, real)
    assert both["precision"] > 0.6 and both["recall"] > 0.6
    # Mode collapse: 400 samples on 20 real points, faithful but narrow.
    collapsed = precision_recall(np.repeat(real[:20], 20, axis=0) + 0.01 * gaussian_sets[1][:400], real)
    assert collapsed["precision"] > 0.9 and collapsed["recall"] < 0.3
    off = precision_recall(real + 5.0, real)
    assert off["precision"] < 0.05 and off["recall"] < 0.05


class MeanColour(FeatureExtractor):
    """A feature extractor without weights: per-channel mean and std of the image."""

    name, dims, frechet_name = "mean-colour", 6, "frechet"

    def forward(self, images):
        return torch.cat([images.mean(dim=(2, 3)), images.std(dim=(2, 3))], dim=1)


def test_calculate_metrics_runs_every_metric_on_one_feature_space():
    generator = torch.Generator().manual_seed(0)
    real = torch.rand(60, 3, 8, 8, generator=generator)
    dark = torch.rand(60, 3, 8, 8, generator=generator) * 0.5
    same = calculate_metrics(torch.rand(60, 3, 8, 8, generator=generator), real, extractor=MeanColour())
    different = calculate_metrics(dark.split(7), real, extractor=MeanColour())
    assert set(same) == {"frechet", "kid_mean", "kid_std", "precision", "recall"}
    assert different["frechet"] > 10 * same["frechet"]
    assert different["precision"] < same["precision"]


def test_registry_knows_the_built_in_extractors_and_rejects_others():
    assert {"inception", "fdd-regressor"} <= set(EXTRACTORS)
    from fractaldream.errors import UsageError

    with pytest.raises(UsageError, match="unknown feature extractor"):
        create("vgg")


def test_generator_output_is_scored_as_its_png():
    images = torch.tensor([-1.0, -0.3, 0.0, 0.999, 1.5]).view(1, 1, 1, 5)
    pixels = signed_to_unit(images) * 255
    assert torch.equal(pixels, pixels.round())
    assert pixels.flatten().tolist() == [0.0, 89.0, 128.0, 255.0, 255.0]


def test_kid_of_sets_no_larger_than_a_subset_has_no_spread_to_report(gaussian_sets):
    real, same, _ = gaussian_sets
    whole = kernel_distance(same[:150], real[:150], subsets=20, subset_size=200)
    assert np.isnan(whole["kid_std"]) and np.isfinite(whole["kid_mean"])
    assert kernel_distance(same[:150], real[:150], subsets=3, subset_size=150)["kid_mean"] == whole["kid_mean"]
    subsampled = kernel_distance(same, real, subsets=20, subset_size=200)
    assert subsampled["kid_std"] > 0
