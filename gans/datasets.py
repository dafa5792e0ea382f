"""Every data set the family trains on, one record each: what it is, where it comes from, its defaults.

A record is read by data loading (``gans.data.loading``: how to read it), the downloader
(``gans.data.download``: its Kaggle id and image count), ``gans data list`` (how to get it, what shows
it is present), the training defaults (``gans.training.config``) and the bench (which sets it
benchmarks). Adding a data set whose files are read like an existing one is one record here.

This module imports nothing heavy: ``gans --help`` reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fractaldream.settings import FACTORS as FDD_FACTORS

#: How the files of a data set are read (``gans.data.loading`` has one reader per source).
SOURCES = ("fractal", "kaggle", "torchvision", "folder")
#: The marker a completed download leaves in its folder (``gans.data.download``).
DOWNLOAD_MARKER = ".download-complete.json"


@dataclass(frozen=True)
class DatasetRecord:
    name: str
    source: str  # one of SOURCES
    channels: int = 3
    #: Names of the known generative factors its targets hold (FDD: the parameter vector v).
    factors: tuple[str, ...] = ()
    #: Its targets are class labels (MNIST-like sets): how many classes; 0 for none.
    classes: int = 0
    kaggle_id: str | None = None
    #: Images the published version holds (a download is checked against it).
    expected_images: int | None = None
    #: The folder inside a Kaggle archive that holds the images the study used.
    image_folder: str | None = None
    #: The torchvision class that reads and fetches it.
    torchvision_class: str | None = None
    #: The path, inside its cache folder, whose presence shows the data set is there.
    present_marker: str = DOWNLOAD_MARKER
    #: How to get it into its cache folder ({folder} is filled in); Kaggle sets say it themselves.
    hint: str = ""
    #: Training defaults for every model on this data set (a model's own per-data-set values win).
    defaults: dict = field(default_factory=dict)
    #: ``gans bench`` benchmarks it.
    benchmarked: bool = False

    @property
    def how_to_get(self) -> str:
        if self.kaggle_id:
            return f"gans data download {self.name}  (Kaggle {self.kaggle_id})"
        return self.hint

    @property
    def conditions(self) -> frozenset[str]:
        """What its targets offer to condition a generator on: "v" (known factors), "labels" (classes), or nothing."""
        return frozenset({"v"} if self.factors else {"labels"} if self.classes else set())



RECORDS = (
    DatasetRecord(
        "fractal", "fractal", factors=FDD_FACTORS, present_marker="params.csv",
        hint="fractaldream build --n N --out {folder}",
        # The correspondence experiment: a latent of the size of the parameter vector v.
        defaults=dict(latent_dim=6, codes=6), benchmarked=True),
    DatasetRecord(
        "simpsons", "kaggle", kaggle_id="kostastokis/simpsons-faces", expected_images=9_877, image_folder="cropped",
        benchmarked=True),
    DatasetRecord(
        "celeba", "kaggle", kaggle_id="jessicali9530/celeba-dataset", expected_images=202_599,
        image_folder="img_align_celeba", benchmarked=True),
    DatasetRecord(
        "mnist", "torchvision", channels=1, classes=10, torchvision_class="MNIST", present_marker="MNIST/raw",
        hint="torchvision, fetched by the first `gans train --dataset mnist`",
        defaults=dict(image_size=32, categorical=10)),
    DatasetRecord(
        "fashion-mnist", "torchvision", channels=1, classes=10, torchvision_class="FashionMNIST",
        present_marker="FashionMNIST/raw",
        hint="torchvision, fetched by the first `gans train --dataset fashion-mnist`",
        defaults=dict(image_size=32, categorical=10)),
    DatasetRecord("folder", "folder", hint="any folder of images: gans train --dataset folder --data DIR"),
)
DATASETS = {record.name: record for record in RECORDS}
NAMES = tuple(DATASETS)


def kaggle_datasets() -> list[str]:
    return [record.name for record in RECORDS if record.kaggle_id]


def benchmarked() -> list[str]:
    return [record.name for record in RECORDS if record.benchmarked]


def record(name: str) -> DatasetRecord:
    from fractaldream.errors import UsageError

    if name not in DATASETS:
        raise UsageError(f"unknown data set {name!r} (choose from {', '.join(DATASETS)})")
    return DATASETS[name]
