"""How close a model's samples come to the real images: Frechet distance, KID and precision/recall,
on each feature space available (Inception when its weights are there; for FDD the regressor's)."""

from __future__ import annotations

import hashlib

import numpy as np
import torch

from gans.bench.columns import Column
from gans.data.pixels import unit
from gans.metrics import inception
from gans.metrics.calculate import calculate_metrics
from gans.metrics.fid import cached_statistics, statistics_cache_path

#: The scores on Inception features, then (suffix "_reg") on the FDD regressor's.
COLUMNS = [
    Column("fid", "FID"), Column("kid_mean", "KID"), Column("precision", "P"), Column("recall", "R"),
    Column("ffd", "FFD"), Column("kid_mean_reg", "KID reg"), Column("precision_reg", "P reg"),
    Column("recall_reg", "R reg"),
]


def data_fingerprint(images: torch.Tensor, targets: np.ndarray) -> str:
    """A hash of the data itself, its decoded images and targets: the key of its cached statistics."""
    digest = hashlib.sha256(np.ascontiguousarray(images.numpy()).tobytes())
    digest.update(np.ascontiguousarray(targets, dtype=np.float64).tobytes())
    return digest.hexdigest()


def rows_sample(n_total: int, n: int, seed: int) -> np.ndarray:
    """Up to n of the rows 0..n_total-1, chosen at random, in order."""
    return np.sort(np.random.default_rng(seed).permutation(n_total)[: min(n, n_total)])


class UnitRange:
    """A uint8 image set seen in [0, 1]: only the rows asked for are converted (the set may be on disk)."""

    def __init__(self, images: torch.Tensor):
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, rows) -> torch.Tensor:
        return unit(self.images[rows])


class DistributionScores:
    """The real set's statistics per feature space, computed (or read from the cache) once per bench."""

    def __init__(self, settings, real: UnitRange, data_hash: str, extractors: dict, log):
        self.extractors = dict(extractors)
        if inception.weights_available(settings.fid_weights):
            self.extractors["inception"] = inception.InceptionFeatures(weights=settings.fid_weights,
                                                                       device=settings.device)
        else:
            log("FID, KID and precision/recall on Inception features are left out: "
                + inception.missing_weights_message(fetch_tried=False))
        self.real_stats = {}
        for name, extractor in self.extractors.items():
            n_real = len(real) if name != "inception" else min(len(real), settings.profile["n_real_fid"])
            rows = rows_sample(len(real), n_real, settings.seed)
            path = statistics_cache_path(settings.dataset, settings.image_size, extractor.cache_key,
                                         data_hash + str(n_real))
            self.real_stats[name] = cached_statistics(
                path, lambda: extractor.features(real[rows], progress=settings.progress))

    @property
    def inception(self) -> bool:
        return "inception" in self.extractors

    def __call__(self, images: torch.Tensor) -> dict:
        row = {}
        for name, extractor in self.extractors.items():
            scores = calculate_metrics(images, extractor=extractor, real_statistics=self.real_stats[name])
            suffix = "" if name == "inception" else "_reg"
            row[extractor.frechet_name] = scores[extractor.frechet_name]
            row.update({f"{k}{suffix}": scores[k] for k in ("kid_mean", "precision", "recall")})
        return row
