"""A run's speed options, bfloat16 autocast and channels-last, and their defaults per device.

The defaults are what ``benchmarks/train_speed.py`` measured fastest (benchmarks/README.md, "gans train"):
on CPUs whose matrix units compute in bfloat16 (AMX or AVX512-BF16) both options together, which let
oneDNN run its bfloat16 kernels without reordering; float32 everywhere else, CUDA included, until a
measurement there says otherwise. ``torch.compile`` is not an option: it gained a few percent per step
on the CPU, less than its compilation costs a run of the bench, and cannot run WGAN-GP's double backward.
Each option changes the numbers a run computes, so a run records the values it started with and resumes
only with them.
"""

from __future__ import annotations

import contextlib

import torch


def device_kind(device: str) -> str:
    """"cpu" or "cuda" for a ``--device`` value (``auto``: CUDA when there is one), without checking it."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device.split(":")[0]


def native_bfloat16_cpu() -> bool:
    """The CPU multiplies bfloat16 in hardware (AMX tiles or AVX512-BF16); elsewhere bfloat16 is emulated, and slow."""
    return torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported()


def speed_defaults(device: str) -> dict[str, bool]:
    """``amp`` and ``channels_last`` for a run on ``device`` that sets neither."""
    fast = device_kind(device) == "cpu" and native_bfloat16_cpu()
    return {"amp": fast, "channels_last": fast}


def mixed_precision(device: torch.device, amp: bool):
    """The context the steps run in: bfloat16 autocast with ``amp``."""
    return torch.autocast(device.type, dtype=torch.bfloat16) if amp else contextlib.nullcontext()
