"""The three ways an image is held, and the conversions between them, in one place.

- stored: uint8 in [0, 255], as decoded from a file and kept in the decoded cache;
- unit: float in [0, 1], what the metrics' feature extractors take;
- signed: float in [-1, 1], what the nets see and make (tanh outputs).
"""

import torch


def unit(images: torch.Tensor) -> torch.Tensor:
    """Stored uint8 -> float in [0, 1] (a new tensor)."""
    return images.to(torch.float32, copy=True).div_(255.0)


def signed(images: torch.Tensor) -> torch.Tensor:
    """Stored uint8 -> float in [-1, 1] (a new tensor)."""
    return images.to(torch.float32, copy=True).div_(127.5).sub_(1.0)


def signed_to_unit(images: torch.Tensor) -> torch.Tensor:
    """A net's output in [-1, 1] -> [0, 1], quantised to 8 bits so it scores as its saved PNG would."""
    return ((images.detach().float().clamp(-1, 1) + 1) * 127.5).round() / 255.0

