"""FFD, the Frechet Fractal Distance: the Frechet distance on the FDD ceiling's penultimate features.

The FDD counterpart of FID (as FID on MNIST uses a LeNet): it needs no downloaded weights, only the
ceiling (``gans.metrics.regressor.ceiling_regressor``), trained on the stream, none of whose images is
in the data set it compares with.
"""

import torch
from torch.nn import functional as F

from gans.metrics.features import FeatureExtractor
from gans.metrics.fid import frechet_distance, gaussian_statistics
from gans.metrics.regressor import TrainedRegressor


class RegressorFeatures(FeatureExtractor):
    name = "fdd-regressor"
    frechet_name = "ffd"

    def __init__(self, regressor: TrainedRegressor, device="cpu"):
        super().__init__(device)
        self.size = regressor.config["image_size"]
        self.dims = regressor.config["features"]
        self.model = regressor.model.to(self.device).eval()
        self.weights = regressor.path.stem

    @property
    def cache_key(self) -> str:
        return f"{self.name}-{self.weights}"

    def forward(self, images):
        if images.shape[-1] != self.size or images.shape[-2] != self.size:
            images = F.interpolate(images, size=(self.size, self.size), mode="bilinear", antialias=True, align_corners=False)
        return self.model.features(images)


def frechet_fractal_distance(generated: torch.Tensor, real: torch.Tensor, regressor: TrainedRegressor) -> float:
    """FFD between two sets of images in [0, 1] (N x 3 x H x W)."""
    extractor = RegressorFeatures(regressor)
    return frechet_distance(gaussian_statistics(extractor.features(generated)),
                            gaussian_statistics(extractor.features(real)))
