"""The data sources of ``gans train``, one registry: fractal, simpsons, celeba, mnist, fashion-mnist, folder.

``load_data(name, data=None, image_size=64, ...)`` decodes a data set once (in parallel for large
sets), resized and centre-cropped to ``image_size``, into an on-disk cache (``gans.image_cache``) and
returns it as one uint8 tensor (N, C, S, S) memory-mapped from there, so a set larger than memory
works and later runs decode nothing; plus its targets, in memory: FDD's normalised parameter vectors
v (N, 6), class labels (N,) for MNIST / Fashion-MNIST, zeros otherwise. Training draws batches by
index (the whole set on the GPU when it fits) and scales them to [-1, 1] on the device.

Without ``data``, a set is read from its cache folder (``gans.download.cache_dir(name)``); a Kaggle
set that is not there is fetched with ``gans.download.download``, MNIST and Fashion-MNIST with
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
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import datasets, transforms
from tqdm import tqdm

from fractaldream.errors import FractalDreamError, UsageError
from gans.download import IMAGE_SUFFIXES, KAGGLE_IDS, cache_dir
from gans.image_cache import cache_path, read_cache, write_cache

# The folder inside a Kaggle download that holds the images the study used.
IMAGE_FOLDERS = {"simpsons": "cropped", "celeba": "img_align_celeba"}


@dataclass(frozen=True)
class DataInfo:
    """What a model needs to know about its data."""

    name: str
    channels: int
    factors: tuple[str, ...] = ()  # names of the known generative factors in the targets (FDD: x0..d)
    classes: int = 0  # number of class labels in the targets

    def to_dict(self) -> dict:
        return {**asdict(self), "factors": list(self.factors)}

    @classmethod
    def from_dict(cls, values: dict) -> "DataInfo":
        return cls(**{**values, "factors": tuple(values["factors"])})


@dataclass
class ImageData:
    images: torch.Tensor  # uint8 (N, C, S, S), memory-mapped from the decoded cache
    targets: torch.Tensor  # float32 (N, 6) for FDD, int64 (N,) otherwise
    info: DataInfo
    skipped: list[str]  # unreadable files left out


def load_data(name: str, data: str | Path | None = None, image_size: int = 64, palette: str | None = None,
              strict: bool = False, workers: int | None = None, progress: bool = True) -> ImageData:
    if name not in SOURCES:
        raise UsageError(f"unknown data set {name!r} (choose from {', '.join(SOURCES)})")
    if data is not None and not Path(data).expanduser().exists():
        raise UsageError(f"{name}: data folder {data} does not exist")
    root = Path(data).expanduser() if data is not None else None
    source = SOURCES[name](root, image_size, palette)
    path = cache_path(name, source.inputs, repr(image_transform(image_size)))
    cached = read_cache(path)
    if cached is None:
        write_cache(path, _decode(source, strict, workers, progress), source.info.name)
        cached = read_cache(path)
    images, targets, skipped = cached
    if skipped and strict:
        raise UsageError(f"{source.info.name}: unreadable image {skipped[0]}")
    if skipped:
        shown = ", ".join(skipped[:10]) + (f" and {len(skipped) - 10} more" if len(skipped) > 10 else "")
        click.echo(f"warning: {source.info.name}: skipped {len(skipped)} unreadable image(s): {shown}", err=True)
    targets = targets.float() if targets.is_floating_point() else targets.long()
    return ImageData(images, targets, source.info, skipped)


def image_transform(image_size: int):
    return transforms.Compose([transforms.Resize(image_size), transforms.CenterCrop(image_size),
                               transforms.PILToTensor()])


class Source(NamedTuple):
    dataset: Dataset  # of (uint8 image, target)
    info: DataInfo
    files: list[Path] | None  # the file of each index, to name unreadable ones
    inputs: list[Path]  # every file the decoded images and targets depend on


# -- sources ----------------------------------------------------------------------------------
def _fractal(root, image_size, palette):
    from fractaldream.dataset import FractalDreamDataset

    root = root or _cached_or_fetched("fractal", lambda p: (p / "params.csv").exists() or _has_images(p))
    try:
        dataset = FractalDreamDataset(root, palette=palette, transform=image_transform(image_size))
    except FractalDreamError:
        raise
    except (OSError, ValueError, KeyError) as error:
        raise UsageError(f"fractal: {root} is not a Fractal Dream Dataset folder ({_short(error)})") from None
    if len(dataset) == 0:
        raise UsageError(f"fractal: no images under {root}" + (f" for palette {palette}" if palette else ""))
    info = DataInfo("fractal", 3, tuple(dataset.factors))
    tables = [root / name for name in ("params.csv", "build.json") if (root / name).is_file()]  # v and its ranges
    return Source(dataset, info, list(dataset.files), list(dataset.files) + tables)


def _kaggle_images(name):
    def source(root, image_size, palette):
        root = root or _cached_or_fetched(name, _has_images)
        files = image_files(root, IMAGE_FOLDERS.get(name))
        return Source(ImageFiles(files, image_transform(image_size)), DataInfo(name, 3), files, files)

    return source


def _folder(root, image_size, palette):
    if root is None:
        raise UsageError("--dataset folder needs --data PATH (a folder of images)")
    files = image_files(root)
    return Source(ImageFiles(files, image_transform(image_size)), DataInfo("folder", 3), files, files)


def _torchvision(name, class_name):
    def source(root, image_size, palette):
        dataset_class = getattr(datasets, class_name)
        given = root is not None
        root = root or cache_dir(name)
        transform = image_transform(image_size)
        try:
            dataset = dataset_class(str(root), train=True, download=False, transform=transform)
        except RuntimeError:
            if given:
                raise UsageError(f"{name}: no {dataset_class.__name__} files under {root}")
            try:
                dataset = dataset_class(str(root), train=True, download=True, transform=transform)
            except Exception as error:  # offline, proxy, mirror down: all mean "cannot fetch"
                raise FractalDreamError(
                    f"{name}: not found in {root} and torchvision could not download it ({_short(error)}); "
                    f"run once with network access, or pass --data PATH to a folder holding it") from None
        raw = sorted(p for p in Path(dataset.raw_folder).iterdir() if p.is_file())
        return Source(dataset, DataInfo(name, 1, classes=len(dataset.classes)), None, raw)

    return source


SOURCES = {
    "fractal": _fractal,
    "simpsons": _kaggle_images("simpsons"),
    "celeba": _kaggle_images("celeba"),
    "mnist": _torchvision("mnist", "MNIST"),
    "fashion-mnist": _torchvision("fashion-mnist", "FashionMNIST"),
    "folder": _folder,
}


class ImageFiles(Dataset):
    def __init__(self, files, transform):
        self.files, self.transform = files, transform

    def __len__(self):
        return len(self.files)

    def __getitem__(self, index):
        with Image.open(self.files[index]) as image:
            return self.transform(image.convert("RGB")), 0


def image_files(root: Path, prefer: str | None = None) -> list[Path]:
    """The image files under ``root`` (recursively), or under its sub-folder ``prefer`` when one holds images."""
    if prefer:
        folders = sorted((p for p in root.rglob(prefer) if p.is_dir() and _has_images(p, recursive=False)),
                         key=lambda p: len(p.parts))
        if folders:
            root = folders[0]
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise UsageError(f"no image files under {root}")
    return files


def _has_images(folder: Path, recursive=True) -> bool:
    if not folder.is_dir():
        return False
    paths = folder.rglob("*") if recursive else folder.iterdir()
    return any(p.suffix.lower() in IMAGE_SUFFIXES for p in paths)


def _cached_or_fetched(name: str, present) -> Path:
    """The cache folder of ``name``, fetched first when it holds nothing usable."""
    folder = cache_dir(name)
    if present(folder):
        return folder
    kaggle_id = KAGGLE_IDS.get(name)
    if kaggle_id is None:
        raise UsageError(f"{name}: no data set in {folder}; build one (fractaldream build --n N --out DIR) "
                         f"and pass --data DIR")
    try:
        import gans.download

        fetched = Path(gans.download.download(name))
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
        except (OSError, ValueError, SyntaxError):  # what PIL raises for broken or truncated files
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
