"""Checkpoints: one ``checkpoint.pt`` per run, written atomically, loadable with ``weights_only=True``.

Content (tensors, numbers, strings, lists and dicts only): ``config`` (the resolved ``TrainConfig``
as a dict), ``data_info``, ``n_images``, ``data_fingerprint`` (of the images and targets trained on,
``gans.data.decoded``; absent in checkpoints written before it), ``step``, ``epoch``, ``finished``,
``model`` (the state dict of all nets), ``optimizers`` (name -> state dict), ``rng`` (CPU and CUDA
generator states).

A file that is not such a checkpoint, or whose weights or optimizer states do not fit the model its
settings describe, is refused with one line saying so.
"""

from __future__ import annotations

import errno
import io
import pickle
from pathlib import Path

import torch
from torch import nn

from fractaldream.errors import FractalDreamError, UsageError, describe_os_error
from fractaldream.store import write_atomic

CHECKPOINT = "checkpoint.pt"
#: What every checkpoint holds, and its type: enough to sample from it.
CONTENT = {"config": dict, "data_info": dict, "n_images": int, "step": int, "finished": bool, "model": dict}
#: What resuming its training needs besides.
TRAINING_STATE = {"optimizers": dict, "rng": dict}


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
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, OSError, pickle.UnpicklingError) as error:
        raise FractalDreamError(f"cannot read checkpoint {path}: {_why_unreadable(error)}") from None
    _check_content(saved, CONTENT, path)
    return saved


def for_reading(saved: dict, half: bool = False) -> dict:
    """The checkpoint without what only resuming needs (optimizer and RNG states): enough to sample, generate and
    evaluate. With ``half`` its floating-point weights are stored as float16 (loaded back into float32 nets)."""
    def stored(tensor):
        return tensor.half() if half and isinstance(tensor, torch.Tensor) and tensor.is_floating_point() else tensor

    kept = {key: saved[key] for key in saved if key not in TRAINING_STATE}
    return {**kept, "model": {name: stored(tensor) for name, tensor in saved["model"].items()}}


def _why_unreadable(error: Exception) -> str:
    if isinstance(error, pickle.UnpicklingError):
        # torch's own text is a page of advice on loading the file unsafely: say what it means instead.
        return ("it is damaged, or holds objects other than tensors and plain values, which are not loaded "
                "because loading them could run code")
    if isinstance(error, OSError) and error.errno != errno.EINVAL:  # torch reads a truncated file as EINVAL
        return describe_os_error(error)
    return f"it is damaged or truncated ({_first_line(error)})"


def _first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return lines[0].strip() if lines else type(error).__name__


def _lacking(saved, content: dict) -> list[str]:
    """The keys of ``content`` that ``saved`` does not hold with their type."""
    return [key for key, kind in content.items() if not (isinstance(saved, dict) and isinstance(saved.get(key), kind))]


def _check_content(saved, content: dict, path: Path) -> None:
    wrong = _lacking(saved, content)
    if wrong:
        raise FractalDreamError(f"cannot read checkpoint {path}: it is not a gans training checkpoint "
                                f"({', '.join(wrong)} missing or of the wrong type)")


def load_weights(model: nn.Module, saved: dict, path: Path) -> None:
    """Load the checkpoint's weights into ``model``, or say in one line how they do not fit it."""
    expected, found = model.state_dict(), saved["model"]
    problems = {
        "missing": [k for k in expected if k not in found],
        "not in the model": [k for k in found if k not in expected],
        "of another shape": [k for k in expected if k in found and _shape(found[k]) != tuple(expected[k].shape)],
    }
    described = [f"{len(keys)} {what} (e.g. {keys[0]})" for what, keys in problems.items() if keys]
    if described:
        raise FractalDreamError(f"checkpoint {path} does not fit the model its settings describe: weights "
                                f"{'; '.join(described)}")
    model.load_state_dict(found)


def _shape(value) -> tuple | None:
    return tuple(value.shape) if isinstance(value, torch.Tensor) else None


def restore_training(saved: dict, path: Path, optimizers: dict) -> None:
    """Put the checkpoint's optimizer and RNG states back, or say in one line why they do not fit."""
    missing = _lacking(saved, TRAINING_STATE)
    if missing:
        raise FractalDreamError(f"checkpoint {path} cannot be resumed: it holds no {' or '.join(missing)} state "
                                f"(an exported run keeps only what sampling needs)")
    try:
        for name, optimizer in optimizers.items():
            optimizer.load_state_dict(saved["optimizers"][name])
        restore_rng(saved["rng"])
    except KeyError as error:
        raise FractalDreamError(f"checkpoint {path} cannot be resumed: it has no state for {error}") from None
    except (ValueError, RuntimeError, TypeError) as error:
        raise FractalDreamError(f"checkpoint {path} cannot be resumed: its optimizer or RNG states do not fit "
                                f"({_first_line(error)})") from None


def refuse_other_data(saved: dict, n_images: int, fingerprint: str, run_dir: Path) -> None:
    """Refuse to resume a run on other data than it trained on (the fingerprint is checked where recorded)."""
    if saved["n_images"] != n_images:
        raise UsageError(f"cannot resume {run_dir}: the data set has changed "
                         f"({saved['n_images']} images then, {n_images} now)")
    if saved.get("data_fingerprint", fingerprint) != fingerprint:
        raise UsageError(f"cannot resume {run_dir}: the data set has changed (as many images, {n_images}, but other "
                         f"images or targets than the run trained on); restore that data, or train into a new --out")


def rng_states() -> dict:
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else []
    return {"torch": torch.get_rng_state(), "cuda": cuda}


def restore_rng(states: dict) -> None:
    torch.set_rng_state(states["torch"])
    if states["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
