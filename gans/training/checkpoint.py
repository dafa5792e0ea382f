"""Checkpoints: one ``checkpoint.pt`` per run, written atomically, loadable with ``weights_only=True``.

Content (tensors, numbers, strings, lists and dicts only): ``config`` (the resolved ``TrainConfig``
as a dict), ``data_info``, ``n_images``, ``step``, ``epoch``, ``finished``, ``model`` (the state dict
of all nets), ``optimizers`` (name -> state dict), ``rng`` (CPU and CUDA generator states).
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import torch

from fractaldream.errors import FractalDreamError
from fractaldream.store import write_atomic

CHECKPOINT = "checkpoint.pt"


def save_checkpoint(path: Path, payload: dict) -> None:
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    write_atomic(Path(path), buffer.getvalue())


def load_checkpoint(path: Path) -> dict:
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT
    if not path.exists():
        raise FractalDreamError(f"no checkpoint at {path}", exit_code=2)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, OSError, pickle.UnpicklingError) as error:
        raise FractalDreamError(f"cannot read checkpoint {path}: {' '.join(str(error).split())[:200]}") from None


def rng_states() -> dict:
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else []
    return {"torch": torch.get_rng_state(), "cuda": cuda}


def restore_rng(states: dict) -> None:
    torch.set_rng_state(states["torch"])
    if states["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
