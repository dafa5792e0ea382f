"""One entry point for the distribution metrics: Frechet distance, KID and precision/recall on one feature space."""

import numpy as np

from gans.metrics import defaults, registry
from gans.metrics.fid import frechet_distance, gaussian_statistics
from gans.metrics.kid import kernel_distance
from gans.metrics.precision_recall import precision_recall


def calculate_metrics(generated, real=None, *, extractor="inception", real_statistics=None, frechet=True, kid=True,
                      prc=True, batch_size=defaults.FID_BATCH_SIZE, progress=False, **extractor_options) -> dict:
    """Scores of generated images against real ones, on the features of ``extractor`` (a name or an instance).

    ``generated`` and ``real`` are tensors of images in [0, 1] (N x 3 x H x W) or iterables of such
    batches; ``real_statistics`` (``mu``, ``sigma``, ``features``, e.g. from ``fid.cached_statistics``)
    replaces ``real``. Keys: the Frechet distance under the extractor's name (``fid``, ``ffd``),
    ``kid_mean``, ``kid_std``, ``precision``, ``recall``.
    """
    if isinstance(extractor, str):
        extractor = registry.create(extractor, **extractor_options)
    fake = extractor.features(generated, batch_size, progress)
    if real_statistics is None:
        real_features = extractor.features(real, batch_size, progress)
        real_statistics = {**gaussian_statistics(real_features), "features": real_features}
    real_features = np.asarray(real_statistics["features"], dtype=np.float64)
    scores = {}
    if frechet:
        scores[extractor.frechet_name] = frechet_distance(gaussian_statistics(fake), real_statistics)
    if kid:
        scores.update(kernel_distance(fake, real_features))
    if prc:
        scores.update(precision_recall(fake, real_features))
    return scores
