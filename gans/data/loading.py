"""Loading a data set of ``gans.datasets`` for training: one reader per kind of source.

``load_data(name, data=None, image_size=64, ...)`` decodes a data set once (in parallel for large
sets), resized and centre-cropped to ``image_size``, into an on-disk cache (``gans.data.decoded``) and
returns it as one uint8 tensor (N, C, S, S) memory-mapped from there, so a set larger than memory
works and later runs decode nothing; plus its targets, in memory: FDD's normalised parameter vectors
v (N, 6), class labels (N,) for MNIST / Fashion-MNIST, zeros otherwise. Training draws batches by
index (the whole set on the GPU when it fits) and scales them to [-1, 1] on the device.

Without ``data``, a set is read from its cache folder (``gans.data.cache.cache_dir(name)``); a Kaggle
set that is not there is fetched with ``gans.data.download.download``, MNIST and Fashion-MNIST with
torchvision's own downloaders; when that fails the error names the set, its source and the fix.
Unreadable image files are listed by path and skipped, or, with ``strict``, stop the run; the cache
remembers them, so a later run reports the same list.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

import click
import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import datasets, transforms
from tqdm import tqdm

from fractaldream.dataset import denormalize, normalize
from fractaldream.errors import FractalDreamError, UsageError
from gans.data.cache import cache_dir
from gans.data.decoded import cache_path, read_cache, remove_stale_temporaries, write_cache
from gans.data.files import has_images, image_files
from gans.datasets import DatasetRecord, record


@dataclass(frozen=True)
class DataInfo:
    """What a model needs to know about its data."""

    name: str
    channels: int
    factors: tuple[str, ...] = ()  # names of the known generative factors in the targets (FDD: x0..d)
    classes: int = 0  # number of class labels in the targets
    #: Per factor, the (lo, hi) that the targets' [-1, 1] stands for (FDD: the build's sampling ranges).
    ranges: tuple[tuple[float, float], ...] = ()

    def to_dict(self) -> dict:
        return {**asdict(self), "factors": list(self.factors), "ranges": [list(r) for r in self.ranges]}

    def normalize(self, v) -> np.ndarray:
        """Raw factor values (N, factors) -> the [-1, 1] of the targets."""
        return normalize(v, np.asarray(self.ranges, np.float64))

    def denormalize(self, u) -> np.ndarray:
        """Targets in [-1, 1] (N, factors) -> raw factor values."""
        return denormalize(u, np.asarray(self.ranges, np.float64))

    @classmethod
    def from_dict(cls, values: dict) -> "DataInfo":
        return cls(**{**values, "factors": tuple(values["factors"]),
                      "ranges": tuple(tuple(r) for r in values.get("ranges", ()))})


@dataclass
class ImageData:
    images: torch.Tensor  # uint8 (N, C, S, S), memory-mapped from the decoded cache
    targets: torch.Tensor  # float32 (N, 6) for FDD, int64 (N,) otherwise
    info: DataInfo
    skipped: list[str]  # unreadable files left out
    fingerprint: str  # of the images and targets (``gans.data.decoded``)


def load_data(name: str, data: str | Path | None = None, image_size: int = 64, palette: str | None = None,
              strict: bool = False, workers: int | None = None, progress: bool = True) -> ImageData:
    dataset = record(name)
    if data is not None and not Path(data).expanduser().exists():
        raise UsageError(f"{name}: data folder {data} does not exist")
    root = Path(data).expanduser() if data is not None else None
    source = READERS[dataset.source](dataset, root, image_size, palette)
    path = cache_path(name, source.inputs, repr(image_transform(image_size)))
    remove_stale_temporaries()
    cached = read_cache(path)
    if cached is None:
        write_cache(path, _decode(source, strict, workers, progress), source.info.name)
        cached = read_cache(path)
    images, targets, skipped, fingerprint = cached
    if skipped and strict:
        raise UsageError(f"{source.info.name}: unreadable image {skipped[0]}")
    if skipped:
        shown = ", ".join(skipped[:10]) + (f" and {len(skipped) - 10} more" if len(skipped) > 10 else "")
        click.echo(f"warning: {source.info.name}: skipped {len(skipped)} unreadable image(s): {shown}", err=True)
    targets = targets.float() if targets.is_floating_point() else targets.long()
    return ImageData(images, targets, source.info, skipped, fingerprint)


def image_transform(image_size: int):
    return transforms.Compose([transforms.Resize(image_size), transforms.CenterCrop(image_size),
                               transforms.PILToTensor()])


class Source(NamedTuple):
    dataset: Dataset  # of (uint8 image, target)
    info: DataInfo
    files: list[Path] | None  # the file of each index, to name unreadable ones
    inputs: list[Path]  # every file the decoded images and targets depend on


# -- readers, one per kind of source (``DatasetRecord.source``) ----------------------------------
def _fractal(dataset: DatasetRecord, root, image_size, palette):
    from fractaldream.dataset import FractalDreamDataset

    root = root or _cached_or_fetched(dataset, lambda p: (p / "params.csv").exists() or has_images(p))
    try:
        images = FractalDreamDataset(root, palette=palette, transform=image_transform(image_size))
    except FractalDreamError:
        raise
    except (OSError, ValueError, KeyError) as error:
        raise UsageError(f"fractal: {root} is not a Fractal Dream Dataset folder ({_short(error)})") from None
    if len(images) == 0:
        raise UsageError(f"fractal: no images under {root}" + (f" for palette {palette}" if palette else ""))
    info = DataInfo(dataset.name, dataset.channels, tuple(images.factors),
                    ranges=tuple(tuple(map(float, r)) for r in images.ranges))
    tables = [root / name for name in ("params.csv", "build.json") if (root / name).is_file()]  # v and its ranges
    return Source(images, info, list(images.files), list(images.files) + tables)


def _kaggle(dataset: DatasetRecord, root, image_size, palette):
    root = root or _cached_or_fetched(dataset, has_images)
    files = image_files(root, dataset.image_folder)
    return Source(ImageFiles(files, image_transform(image_size)), DataInfo(dataset.name, dataset.channels), files, files)


def _folder(dataset: DatasetRecord, root, image_size, palette):
    if root is None:
        raise UsageError(f"--dataset {dataset.name} needs --data PATH (a folder of images)")
    files = image_files(root)
    return Source(ImageFiles(files, image_transform(image_size)), DataInfo(dataset.name, dataset.channels), files, files)


def _torchvision(dataset: DatasetRecord, root, image_size, palette):
    dataset_class = getattr(datasets, dataset.torchvision_class)
    name, given = dataset.name, root is not None
    root = root or cache_dir(name)
    transform = image_transform(image_size)
    try:
        images = dataset_class(str(root), train=True, download=False, transform=transform)
    except RuntimeError:
        if given:
            raise UsageError(f"{name}: no {dataset_class.__name__} files under {root}")
        try:
            images = dataset_class(str(root), train=True, download=True, transform=transform)
        except Exception as error:  # offline, proxy, mirror down: all mean "cannot fetch"
            raise FractalDreamError(
                f"{name}: not found in {root} and torchvision could not download it ({_short(error)}); "
                f"run once with network access, or pass --data PATH to a folder holding it") from None
    raw = sorted(p for p in Path(images.raw_folder).iterdir() if p.is_file())
    return Source(images, DataInfo(name, dataset.channels, classes=len(images.classes)), None, raw)


READERS = {"fractal": _fractal, "kaggle": _kaggle, "folder": _folder, "torchvision": _torchvision}


class ImageFiles(Dataset):
    def __init__(self, files, transform):
        self.files, self.transform = files, transform

    def __len__(self):
        return len(self.files)

    def __getitem__(self, index):
        with Image.open(self.files[index]) as image:
            return self.transform(image.convert("RGB")), 0


def _cached_or_fetched(dataset: DatasetRecord, present) -> Path:
    """The cache folder of ``dataset``, fetched first when it holds nothing usable."""
    name, kaggle_id = dataset.name, dataset.kaggle_id
    folder = cache_dir(name)
    if present(folder):
        return folder
    if kaggle_id is None:
        raise UsageError(f"{name}: no data set in {folder}; get one ({dataset.how_to_get.format(folder='DIR')}) "
                         f"and pass --data DIR")
    try:
        from gans.data import download

        fetched = Path(download.download(name))
    except Exception as error:  # no credentials, no network, no downloader: all mean "cannot fetch"
        raise FractalDreamError(
            f"{name}: data set not found in {folder} and it could not be fetched from Kaggle ({kaggle_id}): "
            f"{_short(error)}; fetch it with `gans data download {name}` or pass --data PATH") from None
    return fetched if present(fetched) else folder


def _short(error: Exception) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:200]


class _Guarded(Dataset):
    """Yields (index, image, target), or (index, None, None) for a file that cannot be read."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, index):
        try:
            image, target = self.dataset[index]
        # What PIL raises for broken or truncated files, and for images so large they may be decompression bombs.
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            return index, None, None
        return index, image, torch.as_tensor(target)


def _collate(items):
    good = [item for item in items if item[1] is not None]
    bad = [item[0] for item in items if item[1] is None]
    images = torch.stack([item[1] for item in good]) if good else None
    targets = torch.stack([item[2] for item in good]) if good else None
    return images, targets, bad


def _decode(source: Source, strict, workers, progress):
    """(uint8 images or None, targets, unreadable files) per batch, in index order, decoded by ``workers`` processes."""
    dataset, info, files = source.dataset, source.info, source.files
    if workers is None:
        workers = 0 if len(dataset) < 5000 else min(8, os.cpu_count() or 1)
    loader = DataLoader(_Guarded(dataset), batch_size=256, num_workers=workers, collate_fn=_collate)
    with tqdm(total=len(dataset), unit="img", desc=f"decoding {info.name}", disable=not progress) as bar:
        for images, targets, bad in loader:
            unreadable = [str(files[index]) if files else f"item {index}" for index in bad]
            if unreadable and strict:
                raise UsageError(f"{info.name}: unreadable image {unreadable[0]}")
            bar.update(len(bad) + (0 if images is None else len(images)))
            yield images, targets, unreadable
