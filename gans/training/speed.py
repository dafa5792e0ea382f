"""A run's speed options: bfloat16 autocast, channels-last, ``torch.compile``; their defaults per device.

The defaults are what ``benchmarks/train_speed.py`` measured fastest (benchmarks/README.md, "gans train"):
bfloat16 autocast on CPUs whose matrix units compute in bfloat16 (AMX or AVX512-BF16), everything
else off. Each option changes the numbers a run computes, so a run records the values it started
with and resumes only with them.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn


def device_kind(device: str) -> str:
    """"cpu" or "cuda" for a ``--device`` value (``auto``: CUDA when there is one), without checking it."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device.split(":")[0]


def native_bfloat16_cpu() -> bool:
    """The CPU multiplies bfloat16 in hardware (AMX tiles or AVX512-BF16); elsewhere bfloat16 is emulated, and slow."""
    return torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported()


def default_amp(device: str) -> bool:
    # CUDA keeps float32 (TF32 convolutions) until bfloat16 is measured faster there.
    return device_kind(device) == "cpu" and native_bfloat16_cpu()


def mixed_precision(device: torch.device, amp: bool):
    """The context the steps run in: bfloat16 autocast with ``amp``."""
    return torch.autocast(device.type, dtype=torch.bfloat16) if amp else contextlib.nullcontext()


def compile_layers(model: nn.Module) -> None:
    """Compile the outermost ``nn.Sequential`` layer stacks of ``model`` in place.

    Every model's steps run through these stacks whichever method of a net calls them (``forward``,
    ``logits``), and in-place compilation leaves the state dict's keys, hence checkpoints, unchanged.
    """
    for module in model.children():
        if isinstance(module, nn.Sequential):
            module.compile()
        else:
            compile_layers(module)
