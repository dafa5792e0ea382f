"""The colour space the nets work in (``TrainConfig.color_space``): ``rgb`` as stored, or ``hsv``.

The nets see and make images with every channel in [-1, 1]; in ``hsv`` the channels are hue,
saturation and value, each mapped from [0, 1]. Hue is circular (0 and 1 are the same red), yet the
nets treat it as a plain channel. Real images enter through ``from_rgb``; everything a net makes goes
through ``to_rgb`` before it becomes a PNG or meets a metric. Both work in batch, on any device.
"""

import torch


def rgb_to_hsv(rgb: torch.Tensor) -> torch.Tensor:
    """(..., 3, H, W) RGB in [0, 1] -> HSV in [0, 1], as ``matplotlib.colors.rgb_to_hsv`` (channels first)."""
    r, g, b = rgb.unbind(-3)
    value = rgb.amax(dim=-3)
    delta = value - rgb.amin(dim=-3)
    divisor = delta.clamp_min(torch.finfo(rgb.dtype).tiny)  # grey pixels: hue and saturation are 0
    hue = torch.where(b == value, 4 + (r - g) / divisor,
                      torch.where(g == value, 2 + (b - r) / divisor, (g - b) / divisor))  # ties: blue, then green
    hue = torch.where(delta > 0, hue / 6 % 1, 0.0)
    saturation = delta / value.clamp_min(torch.finfo(rgb.dtype).tiny)
    return torch.stack([hue, saturation, value], dim=-3)


def hsv_to_rgb(hsv: torch.Tensor) -> torch.Tensor:
    """(..., 3, H, W) HSV in [0, 1] -> RGB in [0, 1], as ``matplotlib.colors.hsv_to_rgb`` (channels first)."""
    hue, saturation, value = hsv.unbind(-3)
    channels = []
    for n in (5, 3, 1):  # red, green, blue: the piecewise-linear hue ramps of the colour wheel
        k = (n + 6 * hue) % 6
        channels.append(value - value * saturation * torch.minimum(k, 4 - k).clamp(0, 1))
    return torch.stack(channels, dim=-3)


def from_rgb(images: torch.Tensor, space: str) -> torch.Tensor:
    """Real RGB images in [-1, 1] -> the nets' colour space, in [-1, 1]."""
    if space == "rgb":
        return images
    return rgb_to_hsv(images.add(1).div(2)).mul(2).sub(1)


def to_rgb(images: torch.Tensor, space: str) -> torch.Tensor:
    """What the nets make, in [-1, 1] -> RGB in [-1, 1]."""
    if space == "rgb":
        return images
    return hsv_to_rgb(images.float().clamp(-1, 1).add(1).div(2)).mul(2).sub(1)
