"""A small registry of feature extractors: images in [0, 1] (N x 3 x H x W) -> N x dims features.

Metrics (Frechet distance, KID, precision/recall) only ever see features, so the same code gives
FID on Inception features and FFD on the FDD regressor's features.
"""

from typing import Callable, Iterable

import numpy as np
import torch
from tqdm import tqdm

_FACTORIES: dict[str, Callable[..., "FeatureExtractor"]] = {}


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


def register(name: str):
    def decorate(factory):
        _FACTORIES[name] = factory
        return factory

    return decorate


def names() -> list[str]:
    _load_builtin()
    return sorted(_FACTORIES)


def create(name: str, **options) -> FeatureExtractor:
    """The extractor registered as ``name``, built with ``options`` (e.g. ``dims``, ``weights``, ``regressor``)."""
    _load_builtin()
    if name not in _FACTORIES:
        from fractaldream.errors import UsageError

        raise UsageError(f"unknown feature extractor {name!r}; choose from {', '.join(sorted(_FACTORIES))}")
    return _FACTORIES[name](**options)


def _load_builtin():
    # The built-in extractors register themselves on import; importing here avoids a cycle.
    from gans.metrics import ffd, inception  # noqa: F401


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """Generator output in [-1, 1] -> [0, 1], quantised to 8 bits so it scores as its saved PNG would."""
    return ((images.detach().float().clamp(-1, 1) + 1) * 127.5).round() / 255.0
