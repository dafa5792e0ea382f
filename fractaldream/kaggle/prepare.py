"""Make a built folder ready to publish: write ``dataset-metadata.json``, and pack the images if asked.

The kaggle package uploads the top-level files of the folder and, with ``dir_mode="zip"``, each
sub-folder as one zip; ``zip_per_palette`` instead packs one ``images-<palette>.zip`` per palette
(entries keep their ``images/<palette>/`` path, so unzipping in the data set folder restores the build layout).
"""

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from fractaldream import store
from fractaldream.errors import UsageError
from fractaldream.kaggle.folder import folder_problems, palette_zip
from fractaldream.kaggle.metadata import (DEFAULT_LICENSE, DEFAULT_TITLE, METADATA_FILE, id_problems, license_problems,
                                          metadata_problems, raise_if, title_problems)
from fractaldream.kaggle.page import COLUMN_DOCS, description, subtitle

KEYWORDS = ["image", "mathematics", "deep learning", "computer vision"]


@dataclass
class Prepared:
    """The metadata written, and the palette zips of an earlier ``zip_per_palette`` that were removed."""

    metadata: dict
    removed: list[str]


def prepare(directory, dataset_id: str, title: str = DEFAULT_TITLE, license_name: str = DEFAULT_LICENSE,
            zip_per_palette: bool = False, progress: bool = True, exclude=()) -> Prepared:
    """Write ``DIR/dataset-metadata.json`` (and the palette zips) for a built data set.

    Credentials-like files in the folder are refused, but those that ``exclude`` leaves out of the upload.
    """
    directory = Path(directory)
    raise_if(id_problems(dataset_id) + title_problems(title) + license_problems([{"name": license_name}]),
             "invalid --id/--title/--license")
    if not directory.is_dir():
        raise UsageError(f"{directory} is not a folder")
    raise_if(folder_problems(directory, exclude), f"{directory} cannot be published")
    settings = store.read_json(directory / store.BUILD_JSON)
    table = store.read_params(directory / store.PARAMS_CSV)
    palettes = list(dict.fromkeys(table["palette"]))
    zipped = _write_palette_zips(directory, table, palettes, progress) if zip_per_palette else []
    removed = _remove_stale_palette_zips(directory, keep=[palette_zip(p) for p in zipped])
    metadata = {
        "title": title.strip(),
        "id": dataset_id,
        "licenses": [{"name": license_name}],
        "subtitle": subtitle(table["id"].nunique(), int(settings["size"])),
        "description": description(settings, table, dataset_id, zip_per_palette),
        "keywords": KEYWORDS,
        "resources": _resources(zipped),
    }
    raise_if(metadata_problems(metadata, directory), "the metadata written would be rejected")
    store.write_json(directory / METADATA_FILE, metadata)
    return Prepared(metadata, removed)


def _resources(zipped_palettes: list[str]) -> list[dict]:
    fields = [{"name": c, "type": COLUMN_DOCS[c][0], "description": COLUMN_DOCS[c][1]} for c in store.COLUMNS]
    resources = [
        {"path": store.PARAMS_CSV, "schema": {"fields": fields},
         "description": "one row per image: its file, palette and the vector (x0, y0, a, b, c, d)"},
        {"path": store.BUILD_JSON, "description": "the build settings: enough to re-render every image exactly"},
    ]
    return resources + [{"path": palette_zip(p), "description": f"the {p} images; unzip in the data set folder"}
                        for p in zipped_palettes]


def _write_palette_zips(directory: Path, table, palettes: list[str], progress: bool) -> list[str]:
    with tqdm(total=len(table), unit="img", desc="zip", disable=not progress, dynamic_ncols=True) as bar:
        for palette in palettes:
            name = palette_zip(palette)
            tmp = directory / f".{name}{store.TMP_SUFFIX}"
            # PNGs are compressed already: storing them is as small and much faster.
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
                for file in table.loc[table["palette"] == palette, "file"]:
                    archive.write(directory / file, file)
                    bar.update()
            os.replace(tmp, directory / name)
    return palettes


def _remove_stale_palette_zips(directory: Path, keep: list[str]) -> list[str]:
    stale = sorted(path.name for path in directory.glob(palette_zip("*")) if path.name not in keep)
    for name in stale:
        (directory / name).unlink()
    return stale
