"""``gans data``: fetch the Kaggle data sets into the cache folder and list what is there."""

import json
from pathlib import Path

import click

from fractaldream.errors import OneLineErrorGroup
from gans.download import IMAGE_SUFFIXES, KAGGLE_IDS, MARKER, cache_dir, download

#: How each known data set gets into its cache folder, and which file shows it is there.
SOURCES = {
    "fractal": ("fractaldream build --n N --out {folder}", "params.csv"),
    "simpsons": (f"gans data download simpsons  (Kaggle {KAGGLE_IDS['simpsons']})", MARKER),
    "celeba": (f"gans data download celeba  (Kaggle {KAGGLE_IDS['celeba']})", MARKER),
    "mnist": ("torchvision, fetched by the first `gans train --dataset mnist`", "MNIST/raw"),
    "fashion-mnist": ("torchvision, fetched by the first `gans train --dataset fashion-mnist`", "FashionMNIST/raw"),
}


def status(name: str) -> str:
    folder = cache_dir(name)
    sign = folder / SOURCES[name][1]
    if sign.name == MARKER and sign.is_file():
        return f"present ({json.loads(sign.read_text()).get('images', 0):,} images)"
    if sign.exists():
        return "present"
    if folder.is_dir() and any(p.suffix.lower() in IMAGE_SUFFIXES for p in folder.rglob("*")):
        return "images, not from a completed download"
    return "missing"


@click.group("data", cls=OneLineErrorGroup)
def data_group():
    """Fetch and list the data sets the gans models train on."""


@data_group.command("download")
@click.argument("name", type=click.Choice(sorted(KAGGLE_IDS)))
@click.option("--out", type=click.Path(path_type=Path), help="Folder to fill (default: the cache folder gans reads; "
              "train on another one with gans train --data DIR).")
def download_command(name, out):
    """Download a Kaggle data set, unzip it safely and check its image count."""
    download(name, out)


@data_group.command("list")
def list_command():
    """Show each known data set, whether it is present, and where."""
    width = max(map(len, SOURCES))
    for name, (source, _) in SOURCES.items():
        folder, state = cache_dir(name), status(name)
        click.echo(f"{name:<{width}}  {state:<22}  {folder}")
        if not state.startswith("present"):
            click.echo(f"{'':<{width}}  get it with: {source.format(folder=folder)}")
