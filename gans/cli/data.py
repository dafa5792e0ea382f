"""``gans data``: fetch the Kaggle data sets into the cache folder and list what is there."""

import json
from pathlib import Path

import click

from fractaldream.commandline import OneLineErrorGroup
from gans.data.cache import cache_dir
from gans.data.files import has_images
from gans.datasets import DOWNLOAD_MARKER, RECORDS, kaggle_datasets


def status(record) -> str:
    folder = cache_dir(record.name)
    sign = folder / record.present_marker
    if sign.name == DOWNLOAD_MARKER and sign.is_file():
        return f"present ({json.loads(sign.read_text()).get('images', 0):,} images)"
    if sign.exists():
        return "present"
    if has_images(folder):
        return "images, not from a completed download"
    return "missing"


@click.group("data", cls=OneLineErrorGroup)
def data_group():
    """Fetch and list the data sets the gans models train on."""


@data_group.command("download")
@click.argument("name", type=click.Choice(sorted(kaggle_datasets())))
@click.option("--out", type=click.Path(path_type=Path), help="Folder to fill (default: the cache folder gans reads; "
              "train on another one with gans train --data DIR).")
def download_command(name, out):
    """Download a Kaggle data set, unzip it safely and check its image count."""
    from gans.data.download import download

    download(name, out)


@data_group.command("list")
def list_command():
    """Show each known data set, whether it is present, and where."""
    cached = [record for record in RECORDS if record.source != "folder"]  # a folder set has no cache folder
    width = max(len(record.name) for record in cached)
    for record in cached:
        folder, state = cache_dir(record.name), status(record)
        click.echo(f"{record.name:<{width}}  {state:<22}  {folder}")
        if not state.startswith("present"):
            click.echo(f"{'':<{width}}  get it with: {record.how_to_get.format(folder=folder)}")
