"""The FDD ceiling: a CNN that reads an image's identifiable targets, trained on the stream.

What an image determines about its v is |a|, |b|, sign(a b), c and d (``fractaldream.identifiable``).
The ceiling estimates how much of it pixels give away: a regressor trained on many distinct attractors
of ``FractalDreamStream``, rendered exactly as the evaluated data set was (its ``BuildSettings``, its
palettes cycled chunk by chunk, resized as the loader resizes), and scored on a held-out segment of
the stream. Its training stream (seed ``TRAIN_SEED``) never meets a built data set, nor the bench's
held-out stream (another seed). Each attractor is seen ``passes`` times, each time as one of its eight
variants under the map's exact symmetries, image and targets transformed together.

All five targets are regressed with MSE on standardised targets; the sign target is the +-1 number,
so its estimate is E[sign | image] and its score the R^2 of the +-1 target, as
``gans.metrics.correspondence`` scores sign targets; its accuracy (the estimate's sign) is reported too.
A trained ceiling is saved under ``<cache>/regressors/<hash>.pt``, keyed by the render settings, the
image size, the budgets, the training configuration and ``VERSION``, and reused whenever they match.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import r2_score
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from fractaldream.errors import UsageError
from fractaldream.identifiable import ANTI_DIAGONAL, ROW_FLIP, SIGN_TARGETS, TARGETS, TURN, identifiable_targets
from fractaldream.settings import BuildSettings
from fractaldream.store import write_atomic
from fractaldream.stream import FractalDreamStream
from gans.data.cache import cache_root
from gans.data.pixels import unit
from gans.metrics import defaults
from gans.metrics.uncertainty import Interval, bootstrap_intervals

#: Bump when the architecture, the data or the training changes, so old cached ceilings are not reused.
VERSION = 3
#: The stream seed the ceiling trains on (the bench holds out its own seed's attractors).
TRAIN_SEED = 1
#: The held-out segment: chunks of the training seed this far on, beyond any training budget.
HELD_OUT_FIRST_CHUNK = 10**9
#: Fields of the configuration that decide how fast, not what: left out of the cache key.
NOT_IN_KEY = ("render_workers",)


class ParameterRegressor(nn.Module):
    """Four conv blocks, a 4x4 pool and a ``features``-wide penultimate layer; input in [0, 1]."""

    def __init__(self, outputs: int = len(TARGETS), width: int = 32, features: int = 128):
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


# -- the stream, rendered as the evaluated data set was ---------------------------------------------------
class _SegmentChunks(Dataset):
    """Chunk ``first + k`` of the stream, in palette ``k mod P``, as the loader would give its images."""

    def __init__(self, build: BuildSettings, image_size: int, first: int):
        self.streams = [FractalDreamStream(build, TRAIN_SEED, palette, normalize=False) for palette in build.palettes]
        self.image_size, self.first = image_size, first

    def __len__(self):
        return 2**62

    def __getitem__(self, k: int):
        accepted = self.streams[k % len(self.streams)].chunk(self.first + k)
        if not accepted:
            return np.zeros((0, 3, self.image_size, self.image_size), np.uint8), np.zeros((0, 6))
        images, v = zip(*accepted)
        return as_loaded(np.stack(images), self.image_size), np.stack(v)


def as_loaded(images: np.ndarray, image_size: int) -> np.ndarray:
    """Rendered images (n, S, S, 3) -> (n, 3, s, s), resized as ``gans.data.loading`` resizes a data set's PNGs."""
    if images.shape[1] == image_size:
        return np.ascontiguousarray(images.transpose(0, 3, 1, 2))
    from PIL import Image

    from gans.data.loading import image_transform

    resize = image_transform(image_size)
    return np.stack([resize(Image.fromarray(image)).numpy() for image in images])


def stream_segment(build: BuildSettings, image_size: int, first_chunk: int, n: int, workers: int = 0,
                   progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The first n accepted attractors from chunk ``first_chunk`` on of the training stream: uint8 images
    (n, 3, s, s) and raw v (n, 6). The same for any number of rendering ``workers``."""
    loader = DataLoader(_SegmentChunks(build, image_size, first_chunk), batch_size=None, num_workers=workers,
                        prefetch_factor=4 if workers else None)
    images, v, count = [], [], 0
    with tqdm(total=n, desc="rendering attractors", unit="attractor", unit_scale=True, disable=not progress) as bar:
        for chunk_images, chunk_v in loader:
            images.append(np.asarray(chunk_images))
            v.append(np.asarray(chunk_v, np.float64))
            count += len(chunk_v)
            bar.update(len(chunk_v))
            if count >= n:
                break
    return np.concatenate(images)[:n], np.concatenate(v)[:n]


# -- augmentation -------------------------------------------------------------------------------------------
def symmetric_variants(images: np.ndarray, v: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Each (image (3, S, S), raw v) replaced by one of its eight variants under the exact symmetries, at random.

    The variant's image is exactly the render of the variant's v, so the targets follow from v. Training on
    them shows the regressor what the picture cannot tell apart, and how c and d move with its orientation.
    """
    choice = rng.integers(8, size=len(images))
    images, v = images.copy(), v.copy()
    for bit, symmetry in ((4, ROW_FLIP), (1, TURN), (2, ANTI_DIAGONAL)):
        rows = np.flatnonzero(choice & bit)
        images[rows] = symmetry.transform_image(images[rows])
        v[rows] = symmetry.transform_v(v[rows])
    return images, v


def symmetric_ranges(build: BuildSettings) -> bool:
    """The symmetries negate x0, y0 and a..d: only ranges symmetric about 0 keep the variants on the data's support."""
    return all(low == -high for low, high in (build.range_xy, build.range_abcd))


# -- training ----------------------------------------------------------------------------------------------
@dataclass
class Standardiser:
    """Targets <-> standardised targets, by the training targets' mean and standard deviation."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def of(cls, targets: np.ndarray) -> "Standardiser":
        return cls(targets.mean(0), np.maximum(targets.std(0), 1e-8))

    def forward(self, targets: np.ndarray) -> torch.Tensor:
        return torch.as_tensor((targets - self.mean) / self.std, dtype=torch.float32)

    def inverse(self, standardised: np.ndarray) -> np.ndarray:
        return standardised * self.std + self.mean


def train_ceiling(images: np.ndarray, v: np.ndarray, config: dict, augment: bool = True,
                  progress: bool = True) -> tuple[ParameterRegressor, Standardiser]:
    """A regressor of the identifiable targets of uint8 ``images`` (n, 3, s, s) with raw ``v`` (n, 6), each image
    seen ``config["passes"]`` times (as a random symmetric variant when ``augment``), by AdamW and one LR cycle."""
    if len(v) < 2 * config["batch_size"]:
        raise UsageError(f"the ceiling needs at least {2 * config['batch_size']} attractors, got {len(v)}")
    torch.manual_seed(config["seed"])
    rng = np.random.default_rng(config["seed"])
    standardiser = Standardiser.of(identifiable_targets(v))
    model = ParameterRegressor(len(TARGETS), config["width"], config["features"])
    optimizer = torch.optim.AdamW(model.parameters(), lr=config["lr"], weight_decay=config["weight_decay"])
    steps_per_pass = len(v) // config["batch_size"]  # full batches only: BatchNorm and a steady step size
    total_steps = config["passes"] * steps_per_pass
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, config["lr"], total_steps=total_steps)
    bar = tqdm(total=total_steps * config["batch_size"], desc="training the ceiling",
               unit="img", unit_scale=True, disable=not progress)
    model.train()
    for _ in range(config["passes"]):
        order = rng.permutation(len(v))[: steps_per_pass * config["batch_size"]]
        for rows in order.reshape(steps_per_pass, config["batch_size"]):
            x, u = (symmetric_variants(images[rows], v[rows], rng) if augment else (images[rows], v[rows]))
            y = standardiser.forward(identifiable_targets(u))
            loss = nn.functional.mse_loss(model(unit(torch.from_numpy(x))), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            bar.update(len(rows))
        bar.set_postfix(loss=f"{loss.item():.4f}")
    bar.close()
    return model.eval(), standardiser


@torch.no_grad()
def read_targets(model: ParameterRegressor, standardiser: Standardiser, images, batch_size: int = 256) -> np.ndarray:
    """The targets ``model`` reads from images (N, 3, s, s) in [0, 1] or uint8, in their own units."""
    model.eval()
    batches = (unit(b) if b.dtype == torch.uint8 else b.float() for b in torch.as_tensor(images).split(batch_size))
    return standardiser.inverse(torch.cat([model(batch) for batch in batches]).double().numpy())


# -- scoring -----------------------------------------------------------------------------------------------
@dataclass
class HeldOutScores:
    """Scores on ``n`` held-out attractors: R^2 per target, accuracy per sign target, each with a bootstrap
    interval over the held-out attractors (the spread of a held-out sample of n, not of retraining)."""

    n: int
    r2: dict[str, Interval]
    accuracy: dict[str, Interval]

    def to_dict(self) -> dict:
        return {"n": self.n, "r2": {t: dataclasses.asdict(i) for t, i in self.r2.items()},
                "accuracy": {t: dataclasses.asdict(i) for t, i in self.accuracy.items()}}

    @classmethod
    def from_dict(cls, saved: dict) -> "HeldOutScores":
        return cls(saved["n"], {t: Interval(**i) for t, i in saved["r2"].items()},
                   {t: Interval(**i) for t, i in saved["accuracy"].items()})


def score_statistics(predicted: np.ndarray, targets: np.ndarray) -> dict[str, float]:
    """``r2 <target>`` for each target (a sign target as its +-1 number), ``accuracy <target>`` for each sign target."""
    scores = dict(zip((f"r2 {t}" for t in TARGETS), r2_score(targets, predicted, multioutput="raw_values")))
    for t in SIGN_TARGETS:
        k = TARGETS.index(t)
        scores[f"accuracy {t}"] = np.mean(np.where(predicted[:, k] < 0, -1.0, 1.0) == targets[:, k])
    return scores


def held_out_scores(predicted: np.ndarray, targets: np.ndarray) -> HeldOutScores:
    """``score_statistics`` of a ceiling's reading of held-out attractors, with bootstrap intervals."""
    intervals = bootstrap_intervals(score_statistics, predicted, targets, resamples=defaults.BOOTSTRAP_RESAMPLES)
    return HeldOutScores(len(targets), {t: intervals[f"r2 {t}"] for t in TARGETS},
                         {t: intervals[f"accuracy {t}"] for t in SIGN_TARGETS})


# -- the cached ceiling --------------------------------------------------------------------------------------
@dataclass
class TrainedRegressor:
    """A ceiling: ``predict`` reads the identifiable targets (``targets``) of images; ``held_out`` scores it."""

    model: ParameterRegressor
    config: dict
    standardiser: Standardiser
    held_out: HeldOutScores
    path: Path
    #: How long its training took where it was trained (rendering not included).
    train_seconds: float
    targets = TARGETS

    @property
    def scores(self) -> dict[str, float]:
        """Held-out R^2 per target (see ``held_out`` for the intervals and the sign target's accuracy)."""
        return {t: interval.estimate for t, interval in self.held_out.r2.items()}

    def summary(self) -> str:
        """One line: the budget, then each held-out score with its interval."""
        c, scores = self.config, self.held_out
        cells = [f"R2 {t} {i.estimate:.3f} [{i.low:.3f}, {i.high:.3f}]" for t, i in scores.r2.items()]
        cells += [f"accuracy {t} {i.estimate:.3f} [{i.low:.3f}, {i.high:.3f}]" for t, i in scores.accuracy.items()]
        return f"{c['attractors']:>7,} attractors x {c['passes']} passes, held out {scores.n:,}: " + ", ".join(cells)

    def predict(self, images: torch.Tensor, batch_size: int = 256) -> np.ndarray:
        """(N, 5) estimates of |a|, |b|, sign(a b), c, d for images (N, 3, s, s) in [0, 1] or uint8, s = image_size."""
        return read_targets(self.model, self.standardiser, images, batch_size)


def full_config(image_size: int, attractors: int | None, held_out: int | None, config: dict | None) -> dict:
    """The defaults, overridden by ``config``, with the budgets: ``attractors`` trained on (default
    ``defaults.CEILING_ATTRACTORS``) and ``held_out`` scored on (default: as many, at most ``CEILING_HELD_OUT``)."""
    attractors = attractors or defaults.CEILING_ATTRACTORS
    held_out = held_out or min(attractors, defaults.CEILING_HELD_OUT)
    return {**defaults.REGRESSOR, **(config or {}), "image_size": image_size, "attractors": attractors,
            "held_out": held_out}


def cache_path(build: BuildSettings, config: dict) -> Path:
    """Keyed by what decides the images (the build settings but its seed: the stream has its own), and the training."""
    rendering = {k: v for k, v in dataclasses.asdict(build).items() if k != "seed"}
    training = {k: v for k, v in config.items() if k not in NOT_IN_KEY}
    key = hashlib.sha256(json.dumps({"build": rendering, "config": training, "version": VERSION},
                                    sort_keys=True).encode()).hexdigest()
    return cache_root() / "regressors" / f"ceiling-{key[:20]}.pt"


def load_ceiling(path: Path) -> TrainedRegressor:
    saved = torch.load(path, map_location="cpu", weights_only=True)
    config = saved["config"]
    model = ParameterRegressor(len(TARGETS), config["width"], config["features"])
    model.load_state_dict(saved["state_dict"])
    standardiser = Standardiser(np.array(saved["target_mean"]), np.array(saved["target_std"]))
    return TrainedRegressor(model.eval(), config, standardiser, HeldOutScores.from_dict(saved["held_out"]), path,
                            saved["train_seconds"])


def ceiling_regressor(build: BuildSettings, image_size: int, attractors: int | None = None, held_out: int | None = None,
                      config: dict | None = None, progress: bool = True) -> TrainedRegressor:
    """The ceiling for data rendered with ``build`` and read at ``image_size``: from the cache, or trained on
    ``attractors`` distinct attractors of the stream and scored on ``held_out`` others, then saved.

    ``config`` overrides ``defaults.REGRESSOR`` (``render_workers`` only changes the speed).
    """
    return ceilings(build, image_size, [attractors], held_out, [config], progress)[0]


def curve_configs(budgets, config: dict | None = None, min_images: int | None = None) -> list[dict]:
    """A learning curve's configuration per budget: each attractor seen ``passes`` times, but at least
    ``min_images`` images in all (more passes), so that a small budget measures how far few attractors go,
    not a short training. A budget with enough attractors keeps ``config``, so it is ``ceiling_regressor``'s ceiling."""
    min_images = defaults.CEILING_CURVE_MIN_IMAGES if min_images is None else min_images
    passes = {**defaults.REGRESSOR, **(config or {})}["passes"]
    return [{**(config or {}), "passes": max(passes, math.ceil(min_images / n))} for n in budgets]


def learning_curve(build: BuildSettings, image_size: int, budgets=None, held_out: int | None = None,
                   config: dict | None = None, min_images: int | None = None,
                   progress: bool = True) -> list[TrainedRegressor]:
    """One ceiling per budget of distinct attractors (default ``defaults.CEILING_CURVE``), trained as
    ``curve_configs`` says and all scored on the same ``held_out`` attractors (default ``CEILING_HELD_OUT``)."""
    budgets = sorted(budgets or defaults.CEILING_CURVE)
    return ceilings(build, image_size, budgets, held_out or defaults.CEILING_HELD_OUT,
                    curve_configs(budgets, config, min_images), progress)


def ceilings(build: BuildSettings, image_size: int, budgets: list, held_out: int | None, configs: list,
             progress: bool = True) -> list[TrainedRegressor]:
    """The ceiling of each (budget, config), from the cache or trained; what is missing renders the stream once:
    each budget trains on the stream's first attractors (a smaller budget's are a prefix of a larger's), and
    all are scored on the same held-out attractors."""
    build.validate()
    full = [full_config(image_size, n, held_out, c) for n, c in zip(budgets, configs)]
    paths = [cache_path(build, c) for c in full]
    missing = [k for k, path in enumerate(paths) if not path.is_file() and path not in paths[:k]]
    if missing:
        workers = full[0]["render_workers"]
        images, v = stream_segment(build, image_size, 0, max(full[k]["attractors"] for k in missing), workers, progress)
        test_images, test_v = stream_segment(build, image_size, HELD_OUT_FIRST_CHUNK, full[0]["held_out"], workers,
                                             progress)
        for k in missing:
            n = full[k]["attractors"]
            started = time.perf_counter()
            model, standardiser = train_ceiling(images[:n], v[:n], full[k], symmetric_ranges(build), progress)
            seconds = time.perf_counter() - started
            scores = held_out_scores(read_targets(model, standardiser, test_images), identifiable_targets(test_v))
            _save_atomic(paths[k], {"state_dict": model.state_dict(), "config": full[k], "held_out": scores.to_dict(),
                                    "target_mean": standardiser.mean.tolist(), "target_std": standardiser.std.tolist(),
                                    "train_seconds": seconds})
    return [load_ceiling(path) for path in paths]


def _save_atomic(path: Path, obj) -> None:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, buffer.getvalue())
