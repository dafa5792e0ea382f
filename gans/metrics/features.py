"""Feature extractors: images in [0, 1] (N x 3 x H x W) -> N x dims features (the registry is ``registry``).

Metrics (Frechet distance, KID, precision/recall) only ever see features, so the same code gives
FID on Inception features and FFD on the FDD regressor's features.
"""

from typing import Iterable

import numpy as np
import torch
from tqdm import tqdm

class FeatureExtractor:
    """A frozen network; subclasses set ``name``, ``dims``, ``frechet_name`` and implement ``forward``."""

    name = ""
    dims = 0
    #: What the Frechet distance on these features is called ("fid", "ffd").
    frechet_name = ""

    def __init__(self, device="cpu"):
        self.device = torch.device(device)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    @property
    def cache_key(self) -> str:
        """Names the network and its weights: real-set statistics are cached under it."""
        return self.name

    @torch.no_grad()
    def features(self, images, batch_size: int = 50, progress: bool = False) -> np.ndarray:
        """Features of a tensor of images, or of an iterable of image batches, as float64 (like pytorch-fid)."""
        batches = _batches(images, batch_size)
        total = -(-len(images) // batch_size) if isinstance(images, torch.Tensor) else None
        out = [
            self.forward(batch.to(self.device, torch.float32)).double().cpu().numpy()
            for batch in tqdm(batches, total=total, desc=f"{self.name} features", unit="batch", disable=not progress)
        ]
        return np.concatenate(out) if out else np.zeros((0, self.dims))


def _batches(images, batch_size: int) -> Iterable[torch.Tensor]:
    if isinstance(images, torch.Tensor):
        return images.split(batch_size)
    return images
