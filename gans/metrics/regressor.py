"""The FDD parameter regressor: a CNN image -> v (normalised to [-1, 1]).

Its held-out R^2 per parameter is the ceiling of what pixels determine about v (the map is odd, so
some parameters are not identifiable from the picture); its penultimate features define FFD.
A trained regressor is saved under ``<cache>/regressors/<hash>.pt``, the hash covering the data
(the decoded images and parameters) and the configuration, and reused whenever both match.
"""

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import r2_score
from torch import nn
from tqdm import tqdm

from fractaldream.errors import FractalDreamError
from fractaldream.identifiable import ANTI_DIAGONAL, ROW_FLIP, TURN, Symmetry
from fractaldream.store import write_atomic
from gans.data.cache import cache_root
from gans.data.pixels import unit
from gans.datasets import FDD_FACTORS
from gans.metrics import defaults

#: Bump when the architecture or training changes, so old cached regressors are not reused.
VERSION = 2


class ParameterRegressor(nn.Module):
    """Four conv blocks, a 4x4 pool and a ``features``-wide penultimate layer; input in [0, 1]."""

    def __init__(self, outputs: int = 6, width: int = 32, features: int = 128):
        super().__init__()

        def block(c_in, c_out):
            return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]

        self.body = nn.Sequential(
            *block(3, width), nn.MaxPool2d(2),
            *block(width, 2 * width), nn.MaxPool2d(2),
            *block(2 * width, 4 * width), nn.MaxPool2d(2),
            *block(4 * width, 4 * width), nn.AdaptiveAvgPool2d(4), nn.Flatten(),
            nn.Linear(4 * width * 16, features), nn.ReLU(inplace=True),
        )
        self.head = nn.Linear(features, outputs)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        return self.body(images * 2 - 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))


def fingerprint(images: torch.Tensor, v: np.ndarray) -> str:
    """A hash of the data itself: the decoded images and their parameter vectors."""
    digest = hashlib.sha256(np.ascontiguousarray(images.numpy()).tobytes())
    digest.update(np.ascontiguousarray(v, dtype=np.float64).tobytes())
    return digest.hexdigest()


def _apply(symmetry: Symmetry, images: torch.Tensor, v: torch.Tensor):
    """``symmetry`` (of :mod:`fractaldream.identifiable`) applied to images (..., H, W) and their v."""
    flipped = [dim for dim, flip in ((-2, symmetry.flip_rows), (-1, symmetry.flip_columns)) if flip]
    images = images.flip(flipped) if flipped else images
    images = images.transpose(-1, -2) if symmetry.transpose else images
    return images, v[:, list(symmetry.permutation)] * torch.tensor(symmetry.signs, dtype=v.dtype)


def symmetric_variants(images: torch.Tensor, v: torch.Tensor, generator: torch.Generator):
    """Each (image, v) replaced by one of its eight variants under the map's exact symmetries, at random.

    Training on them shows the regressor what the picture cannot tell apart. The symmetries change
    signs of v, so they hold for normalised v only where the ranges of v are symmetric about 0.
    """
    choice = torch.randint(8, (len(images),), generator=generator)
    images, v = images.clone(), v.clone()
    for bit, symmetry in ((4, ROW_FLIP), (1, TURN), (2, ANTI_DIAGONAL)):
        rows = choice & bit > 0
        images[rows], v[rows] = _apply(symmetry, images[rows], v[rows])
    return images, v


#: |a|..|d| (mapped to [-1, 1]): what the symmetries leave of a..d. The picture shows their signs only
#: through its orientation, so the signed parameters can be unidentifiable where their sizes are not.
MAGNITUDES = ("abs_a", "abs_b", "abs_c", "abs_d")


def with_magnitudes(v):
    """v (N, 6) -> (N, 10): v followed by 2|a|-1, ..., 2|d|-1 (numpy or torch)."""
    if isinstance(v, torch.Tensor):
        return torch.cat([v, 2 * v[:, 2:].abs() - 1], dim=1)
    return np.concatenate([v, 2 * np.abs(v[:, 2:]) - 1], axis=1)


def grouped_split(v: np.ndarray, test_fraction: float, seed: int):
    """Train/test row indices such that all rows of one attractor (same v, any palette) fall on one side."""
    _, group = np.unique(v, axis=0, return_inverse=True)
    groups = np.random.default_rng(seed).permutation(group.max() + 1)
    test_groups = groups[: max(1, int(round(len(groups) * test_fraction)))]
    is_test = np.isin(group.ravel(), test_groups)
    return np.flatnonzero(~is_test), np.flatnonzero(is_test)


@dataclass
class TrainedRegressor:
    model: ParameterRegressor
    config: dict
    factors: tuple
    r2: list
    path: Path

    @torch.no_grad()
    def predict(self, images: torch.Tensor, batch_size: int = 256) -> np.ndarray:
        """Normalised v of images in [0, 1] (N x 3 x S x S, S the regressor's image size)."""
        self.model.eval()
        return torch.cat([self.model(batch.float()) for batch in images.split(batch_size)]).numpy()


def cache_path(data_hash: str, config: dict) -> Path:
    key = hashlib.sha256(json.dumps({"data": data_hash, "config": config, "version": VERSION},
                                    sort_keys=True).encode()).hexdigest()
    return cache_root() / "regressors" / f"{key[:20]}.pt"


def regressor_for(data, config: dict | None = None, progress: bool = True) -> TrainedRegressor:
    """The regressor for ``data`` (``gans.data.loading.ImageData`` of FDD) and ``config``: from the cache, or trained and saved."""
    config = {**defaults.REGRESSOR, **(config or {}), "image_size": int(data.images.shape[-1])}
    images, v, factors = data.images, data.targets.numpy().astype(np.float64), tuple(data.info.factors)
    if factors != FDD_FACTORS:
        config.update(symmetries=False, magnitudes=False)
    if config["magnitudes"]:
        factors = factors + MAGNITUDES
    path = cache_path(fingerprint(images, v), config)
    if path.is_file():
        saved = torch.load(path, map_location="cpu", weights_only=True)
        model = ParameterRegressor(len(factors), config["width"], config["features"])
        model.load_state_dict(saved["state_dict"])
        return TrainedRegressor(model.eval(), config, tuple(saved["factors"]), list(saved["r2"]), path)
    model, r2 = train_regressor(images, v, config, progress)
    _save_atomic(path, {"state_dict": model.state_dict(), "config": config, "factors": list(factors), "r2": r2})
    return TrainedRegressor(model, config, factors, r2, path)


def train_regressor(images: torch.Tensor, v: np.ndarray, config: dict, progress: bool = True):
    """Train on the train split with MSE; returns the model and its held-out R^2 per output (v, then magnitudes)."""
    if len(v) < 10:
        raise FractalDreamError(f"the regressor needs at least 10 images to train and test, got {len(v)}")
    torch.manual_seed(config["seed"])
    train, test = grouped_split(v, config["test_fraction"], config["seed"])
    outputs = v.shape[1] + (len(MAGNITUDES) if config["magnitudes"] else 0)
    model = ParameterRegressor(outputs, config["width"], config["features"])
    optimizer = torch.optim.AdamW(model.parameters(), lr=config["lr"], weight_decay=config["weight_decay"])
    steps_per_epoch = -(-len(train) // config["batch_size"])
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, config["lr"], total_steps=config["epochs"] * steps_per_epoch)
    targets = torch.as_tensor(v, dtype=torch.float32)
    generator = torch.Generator().manual_seed(config["seed"])
    bar = tqdm(total=config["epochs"] * len(train), desc="training FDD regressor", unit="img", unit_scale=True,
               disable=not progress)
    model.train()
    for _ in range(config["epochs"]):
        for rows in torch.as_tensor(train)[torch.randperm(len(train), generator=generator)].split(config["batch_size"]):
            if len(rows) < 2:  # BatchNorm needs two samples
                continue
            x, y = unit(images[rows]), targets[rows]
            if config["symmetries"]:
                x, y = symmetric_variants(x, y, generator)
            if config["magnitudes"]:
                y = with_magnitudes(y)
            loss = nn.functional.mse_loss(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            bar.update(len(rows))
        bar.set_postfix(loss=f"{loss.item():.4f}")
    bar.close()
    model.eval()
    with torch.no_grad():
        predicted = torch.cat([model(unit(images[rows])) for rows in torch.as_tensor(test).split(256)]).numpy()
    truth = with_magnitudes(v[test]) if config["magnitudes"] else v[test]
    r2 = r2_score(truth, predicted, multioutput="raw_values").tolist()
    return model, r2


def _save_atomic(path: Path, obj) -> None:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, buffer.getvalue())
