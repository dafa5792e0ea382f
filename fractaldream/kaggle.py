"""Publish a built Fractal Dream Dataset on Kaggle: ``prepare`` its metadata, then ``upload`` it.

``prepare`` writes ``dataset-metadata.json`` in the format the kaggle package's ``datasets create``
reads, and both commands check everything Kaggle would reject before anything is sent. The kaggle
package uploads the top-level files of the folder and, with ``dir_mode="zip"``, each sub-folder as
one zip; ``--zip-per-palette`` instead packs one ``images-<palette>.zip`` per palette (entries keep
their ``images/<palette>/`` path, so unzipping in the data set folder restores the build layout).
"""

import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import click
from tqdm import tqdm

from fractaldream import kaggle_client, store
from fractaldream.errors import FractalDreamError, OneLineErrorGroup, UsageError

METADATA_FILE = "dataset-metadata.json"
DEFAULT_TITLE = "Fractal Dream Dataset"
DEFAULT_LICENSE = "CC0-1.0"
KEYWORDS = ["image", "mathematics", "deep learning", "computer vision"]

#: The license names Kaggle accepts in dataset-metadata.json (kaggle-api docs/datasets_metadata.md).
LICENSES = (
    "CC0-1.0", "CC-BY-SA-3.0", "CC-BY-SA-4.0", "CC-BY-NC-SA-4.0", "GPL-2.0", "ODbL-1.0", "DbCL-1.0",
    "copyright-authors", "other", "unknown", "CC-BY-4.0", "CC-BY-NC-4.0", "PDDL", "CC-BY-3.0", "CC-BY-3.0-IGO",
    "US-Government-Works", "CC-BY-NC-SA-3.0-IGO", "CDLA-Permissive-1.0", "CDLA-Sharing-1.0", "CC-BY-ND-4.0",
    "CC-BY-NC-ND-4.0", "ODC-BY-1.0", "LGPL-3.0", "AGPL-3.0", "FDL-1.3", "EU-ODP-Legal-Notice", "apache-2.0", "GPL-3.0",
)
#: Column types of a resource schema that Kaggle documents.
FIELD_TYPES = (
    "string", "boolean", "numeric", "number", "datetime", "id", "uuid", "latitude", "longitude", "coordinates",
    "country", "province", "postalcode", "address", "email", "url", "integer", "decimal", "city",
)
#: Files the kaggle package never uploads as data.
NOT_UPLOADED = {METADATA_FILE, "datapackage.json", *(f"dataset-cover-image{e}" for e in (".png", ".jpg", ".jpeg", ".webp"))}

_OWNER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_PALETTE_ZIP = re.compile(r"images-[^/]+\.zip")

#: Kaggle type and description of every params.csv column (store.COLUMNS, in order).
COLUMN_DOCS = {
    "file": ("string", "image path relative to the data set folder: images/<palette>/<id:07d>.png"),
    "palette": ("string", "colour map the visit counts were shaded with"),
    "id": ("integer", "attractor number 0..N-1, shared by the palettes of one attractor"),
    "candidate": ("integer", "index of the parameter draw in the seed's stream (rejected draws count too)"),
    "x0": ("numeric", "start point x"),
    "y0": ("numeric", "start point y"),
    "a": ("numeric", "parameter a of y' = sin(a*x) + d*sin(a*y)"),
    "b": ("numeric", "parameter b of x' = sin(b*y) + c*sin(b*x)"),
    "c": ("numeric", "parameter c of x' = sin(b*y) + c*sin(b*x)"),
    "d": ("numeric", "parameter d of y' = sin(a*x) + d*sin(a*y)"),
    "xmin": ("numeric", "smallest x of the kept trajectory: the left edge of the image"),
    "xmax": ("numeric", "largest x of the kept trajectory: the right edge of the image"),
    "ymin": ("numeric", "smallest y of the kept trajectory: the bottom edge of the image"),
    "ymax": ("numeric", "largest y of the kept trajectory: the top edge of the image"),
    "coverage": ("numeric", "fraction of pixels the trajectory visits at least once"),
    "lyapunov": ("numeric", "largest Lyapunov exponent of the orbit (natural log per step; > 0 means chaotic)"),
}


def palette_zip(palette: str) -> str:
    return f"images-{palette}.zip"


# ---------------------------------------------------------------- validation


def id_problems(dataset_id) -> list[str]:
    if not isinstance(dataset_id, str) or dataset_id.count("/") != 1:
        return [f"id {dataset_id!r} must have the form OWNER/SLUG"]
    owner, slug = dataset_id.split("/")
    problems = []
    if not _OWNER.fullmatch(owner):
        problems.append(f"id owner {owner!r} must be a Kaggle user or organisation name (letters, digits, - and _)")
    if not 6 <= len(slug) <= 50:
        problems.append(f"id slug {slug!r} has {len(slug)} characters; Kaggle needs 6 to 50")
    if not _SLUG.fullmatch(slug):
        problems.append(f"id slug {slug!r} may hold only lowercase letters, digits and inner hyphens")
    return problems


def title_problems(title) -> list[str]:
    if not isinstance(title, str) or not 6 <= len(title.strip()) <= 50:
        length = len(title.strip()) if isinstance(title, str) else "no"
        return [f"title {title!r} has {length} characters; Kaggle needs 6 to 50"]
    return []


def license_problems(licenses) -> list[str]:
    if not isinstance(licenses, list) or len(licenses) != 1 or not isinstance(licenses[0], dict):
        return ['licenses must be a list of exactly one {"name": ...}']
    name = licenses[0].get("name")
    if name not in LICENSES:
        return [f"license {name!r} is not one Kaggle knows; choose from {', '.join(LICENSES)}"]
    return []


def metadata_problems(metadata: dict, directory: Path) -> list[str]:
    """What Kaggle's ``datasets create``/``version`` would reject in ``metadata``, as readable sentences."""
    problems = id_problems(metadata.get("id")) + title_problems(metadata.get("title"))
    problems += license_problems(metadata.get("licenses"))
    subtitle = metadata.get("subtitle")
    if subtitle is not None and (not isinstance(subtitle, str) or not 20 <= len(subtitle) <= 80):
        problems.append(f"subtitle {subtitle!r} must have 20 to 80 characters")
    if not isinstance(metadata.get("description", ""), str):
        problems.append("description must be a string")
    keywords = metadata.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        problems.append("keywords must be a list of strings")
    problems += _resource_problems(metadata.get("resources", []), directory)
    return problems


def _resource_problems(resources, directory: Path) -> list[str]:
    if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
        return ["resources must be a list of objects"]
    problems, seen = [], set()
    for resource in resources:
        path = resource.get("path")
        if not isinstance(path, str) or not (directory / path).is_file():
            problems.append(f"resource {path!r} is not a file in {directory}")
        if path in seen:
            problems.append(f"resource {path!r} is listed twice")
        seen.add(path)
        for column in resource.get("schema", {}).get("fields", []):
            if not column.get("name"):
                problems.append(f"a schema field of {path} has no name")
            if column.get("type", "string").lower() not in FIELD_TYPES:
                problems.append(f"schema field {column.get('name')!r} of {path} has unknown type {column.get('type')!r}")
    return problems


def folder_problems(directory: Path) -> list[str]:
    """A complete build to publish: its tables readable, every listed image there, nothing half written or empty."""
    problems = []
    for name in (store.BUILD_JSON, store.PARAMS_CSV):
        if not (directory / name).is_file():
            problems.append(f"{directory / name} is missing (is {directory} a built data set?)")
    if problems:
        return problems
    try:
        if store.read_json(directory / store.BUILD_JSON).get("attractor") != "fractal_dream":
            problems.append(f"{directory / store.BUILD_JSON} does not describe a Fractal Dream build")
        table = store.read_params(directory / store.PARAMS_CSV)
    except FractalDreamError as error:
        return problems + [error.message]
    if not len(table):
        problems.append(f"{directory / store.PARAMS_CSV} lists no images")
    missing = [f for f in table["file"] if not (directory / f).is_file()]
    if missing:
        problems.append(f"{len(missing)} images listed in params.csv are missing (first: {missing[0]})")
    temporaries = sorted(p.relative_to(directory) for p in directory.rglob(f".*{store.TMP_SUFFIX}"))
    if temporaries:
        problems.append(f"half-written files are left ({temporaries[0]}...); rerun the build to repair it")
    problems += [f"folder {folder} is empty; Kaggle rejects empty folders" for folder in _empty_folders(directory)]
    return problems


def _empty_folders(directory: Path) -> list[Path]:
    holds_files, empty = set(), []
    for root, dirs, files in os.walk(directory, topdown=False):
        root = Path(root)
        if files or any(root / d in holds_files for d in dirs):
            holds_files.add(root)
        elif root != directory:
            empty.append(root.relative_to(directory))
    return sorted(empty)


def _raise_if(problems: list[str], what: str) -> None:
    if problems:
        raise UsageError(f"{what}: " + "; ".join(problems))


def validate(directory) -> dict:
    """The metadata of a folder ready to upload, or a UsageError listing everything Kaggle would reject."""
    directory = Path(directory)
    path = directory / METADATA_FILE
    if not path.is_file():
        raise UsageError(f"{path} is missing; run: fractaldream kaggle prepare {directory} --id OWNER/SLUG")
    try:
        metadata = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise UsageError(f"{path} is not readable JSON ({error})") from None
    if not isinstance(metadata, dict):
        raise UsageError(f"{path} does not hold a JSON object")
    _raise_if(folder_problems(directory) + metadata_problems(metadata, directory), f"{directory} cannot be published")
    return metadata


# ---------------------------------------------------------------- prepare


def prepare(directory, dataset_id: str, title: str = DEFAULT_TITLE, license_name: str = DEFAULT_LICENSE,
            zip_per_palette: bool = False, progress: bool = True) -> dict:
    """Write ``DIR/dataset-metadata.json`` (and the palette zips) for a built data set; return the metadata."""
    directory = Path(directory)
    _raise_if(id_problems(dataset_id) + title_problems(title) + license_problems([{"name": license_name}]),
              "invalid --id/--title/--license")
    if not directory.is_dir():
        raise UsageError(f"{directory} is not a folder")
    _raise_if(folder_problems(directory), f"{directory} cannot be published")
    settings = store.read_json(directory / store.BUILD_JSON)
    table = store.read_params(directory / store.PARAMS_CSV)
    palettes = list(dict.fromkeys(table["palette"]))
    zipped = _write_palette_zips(directory, table, palettes, progress) if zip_per_palette else []
    _remove_stale_palette_zips(directory, keep=[palette_zip(p) for p in zipped])
    metadata = {
        "title": title.strip(),
        "id": dataset_id,
        "licenses": [{"name": license_name}],
        "subtitle": _subtitle(table["id"].nunique(), int(settings["size"])),
        "description": describe(settings, table, dataset_id, zip_per_palette),
        "keywords": KEYWORDS,
        "resources": _resources(zipped),
    }
    _raise_if(metadata_problems(metadata, directory), "the metadata written would be rejected")
    store.write_json(directory / METADATA_FILE, metadata)
    return metadata


def _subtitle(attractors: int, size: int) -> str:
    return f"{attractors:,} strange attractors as {size}x{size} images, with their exact parameters"


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


def _remove_stale_palette_zips(directory: Path, keep: list[str]) -> None:
    for path in directory.glob(palette_zip("*")):
        if path.name not in keep:
            path.unlink()
            click.echo(f"removed {path.name} (left by an earlier --zip-per-palette)", err=True)


def build_command(settings: dict) -> str:
    abcd, xy = settings["range_abcd"], settings["range_xy"]
    return (f"fractaldream build --n {settings['n']} --out fractal-dream-dataset --size {settings['size']} "
            f"--points {settings['points']} --burn-in {settings['burn_in']} --seed {settings['seed']} "
            f"--palettes {','.join(settings['palettes'])} --range-abcd {abcd[0]} {abcd[1]} "
            f"--range-xy {xy[0]} {xy[1]} --min-coverage {settings['min_coverage']}")


def describe(settings: dict, table, dataset_id: str, zip_per_palette: bool) -> str:
    """The data set's Kaggle page, in markdown."""
    abcd, xy = settings["range_abcd"], settings["range_xy"]
    palettes = ", ".join(settings["palettes"])
    columns = "\n".join(f"| `{c}` | {COLUMN_DOCS[c][0]} | {COLUMN_DOCS[c][1]} |" for c in store.COLUMNS)
    setting_rows = "\n".join(f"| `{k}` | `{json.dumps(v)}` |" for k, v in settings.items()
                             if not isinstance(v, dict) and k not in ("attractor", "sampling"))
    images = (f"The images come as one zip per palette (`{palette_zip('<palette>')}`); unzip them in the data set "
              "folder to get `images/<palette>/`." if zip_per_palette else "The images lie in `images/<palette>/`.")
    return f"""\
# The Fractal Dream Dataset

Every image is a *Fractal Dream* strange attractor (C. Pickover, *Chaos in Wonderland*, 1995) at a
known point v = (x0, y0, a, b, c, d) of its parameter space, so a model's latent space can be compared
with the true factors of variation. From the start point (x0, y0) the map

    x' = sin(b*y) + c*sin(b*x)
    y' = sin(a*x) + d*sin(a*y)

is iterated {settings['burn_in']:,} times unseen, then {settings['points']:,} times; each pixel's shade
counts the visits of the trajectory to it (x grows to the right, y upwards; the image spans the
trajectory's bounding box).

This version holds {table['id'].nunique():,} attractors in {len(table):,} RGB PNG images of
{settings['size']}x{settings['size']} pixels, one per palette ({palettes}). a, b, c, d were drawn uniformly
in [{abcd[0]}, {abcd[1]}] and x0, y0 in [{xy[0]}, {xy[1]}]; draws whose orbit diverges, falls on a
fixed point or a short cycle, or covers less than {settings['min_coverage']:.0%} of the pixels were
rejected. {images}

## Build it yourself

The images are exactly reproducible with the `fractaldream` package:

    {build_command(settings)}

Settings (from `build.json`):

| setting | value |
|---|---|
{setting_rows}

## params.csv

| column | type | meaning |
|---|---|---|
{columns}

## Load it

    kaggle datasets download -d {dataset_id} --unzip -p fractal-dream-dataset

```python
from fractaldream import FractalDreamDataset

data = FractalDreamDataset("fractal-dream-dataset", palette="{settings['palettes'][0]}")
image, v = data[0]  # image: float32 3xHxW in [0, 1]; v: (x0, y0, a, b, c, d) mapped to [-1, 1]
raw = data.denormalize(v.numpy())  # back to the parameters of params.csv
```

`fractaldream.render.render(raw, size={settings['size']}, points={settings['points']}, burn_in={settings['burn_in']})`
re-renders any row.
"""


# ---------------------------------------------------------------- upload


@dataclass
class UploadPlan:
    """What the kaggle package will send: (name as uploaded, bytes, note) per item, and what it skips."""

    items: list[tuple[str, int, str]] = field(default_factory=list)
    ignore_patterns: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(size for _, size, _ in self.items)


def upload_plan(directory: Path, metadata: dict) -> UploadPlan:
    zips = [r for r in metadata.get("resources", []) if _PALETTE_ZIP.fullmatch(str(r.get("path")))]
    plan = UploadPlan(ignore_patterns=[f"{store.IMAGES}/"] if zips else [])
    for entry in sorted(directory.iterdir()):
        if entry.name in NOT_UPLOADED or (entry.is_dir() and f"{entry.name}/" in plan.ignore_patterns):
            continue
        if entry.is_dir():
            files = [p for p in entry.rglob("*") if p.is_file()]
            plan.items.append((f"{entry.name}.zip", sum(p.stat().st_size for p in files),
                               f"folder {entry.name}/ zipped: {len(files):,} files, size before zipping"))
        else:
            plan.items.append((entry.name, entry.stat().st_size, ""))
    return plan


def human_size(size: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1000


def upload(directory, new: bool, message: str | None = None, public: bool = False, dry_run: bool = False) -> None:
    """Create the data set (``new``) or a new version of it; ``dry_run`` only prints what would be sent."""
    directory = Path(directory)
    if not new and not (message or "").strip():
        raise UsageError("a new version needs a non-empty -m MESSAGE")
    if public and not new:
        raise UsageError("--public applies to --new only; a version keeps the data set's visibility")
    metadata = validate(directory)
    plan = upload_plan(directory, metadata)
    action = (f"create the {'public' if public else 'private'} data set {metadata['id']}" if new
              else f"add a version to {metadata['id']} ({message})")
    if dry_run:
        _print_plan(plan, metadata, action)
        return
    api = kaggle_client.client()
    common = dict(folder=str(directory), quiet=False, dir_mode="zip", ignore_patterns=plan.ignore_patterns)
    try:
        if new:
            result = api.dataset_create_new(public=public, **common)
        else:
            result = api.dataset_create_version(version_notes=message, **common)
    except Exception as error:  # the kaggle package raises ValueError, HTTPError, ...: all mean "not sent"
        raise FractalDreamError(f"could not {action}: {kaggle_client.redact(error)}") from None
    _report(result, action, metadata["id"])


def _print_plan(plan: UploadPlan, metadata: dict, action: str) -> None:
    click.echo(f"Dry run, nothing is sent. The upload would {action} with these files:")
    width = max(len(name) for name, _, _ in plan.items)
    for name, size, note in plan.items:
        click.echo(f"  {name:<{width}}  {human_size(size):>10}  {note}".rstrip())
    click.echo(f"  {'total':<{width}}  {human_size(plan.total):>10}")
    click.echo(f"and this {METADATA_FILE}:")
    click.echo(json.dumps(metadata, indent=2))


def _report(result, action: str, dataset_id: str) -> None:
    status = getattr(result, "status", None)
    if not isinstance(status, str) or status.lower() != "ok":
        error = getattr(result, "error", None) or "no reason given"
        raise FractalDreamError(f"Kaggle refused to {action}: {kaggle_client.redact(error)}")
    invalid = getattr(result, "invalid_tags", None)
    if invalid:
        click.echo(f"Warning: Kaggle knows no tag {', '.join(invalid)}; they were left out", err=True)
    url = getattr(result, "url", "") or f"https://www.kaggle.com/datasets/{dataset_id}"
    click.echo(f"Done: {action}. Kaggle is processing it: {url}")


# ---------------------------------------------------------------- command line


@click.group("kaggle", cls=OneLineErrorGroup)
def kaggle_group():
    """Publish a built data set on Kaggle."""


@kaggle_group.command("prepare")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--id", "dataset_id", required=True, metavar="OWNER/SLUG", help="Kaggle data set id.")
@click.option("--title", default=DEFAULT_TITLE, show_default=True, help="6 to 50 characters.")
@click.option("--license", "license_name", default=DEFAULT_LICENSE, show_default=True,
              help="A Kaggle license name, e.g. CC0-1.0, CC-BY-4.0, CC-BY-SA-4.0.")
@click.option("--zip-per-palette", is_flag=True, help="Pack the images as one images-<palette>.zip per palette.")
def prepare_command(directory, dataset_id, title, license_name, zip_per_palette):
    """Write DIRECTORY/dataset-metadata.json for a built data set and check it as Kaggle would."""
    metadata = prepare(directory, dataset_id, title, license_name, zip_per_palette)
    click.echo(f"wrote {directory / METADATA_FILE} for {metadata['id']}; "
               f"check it with: fractaldream kaggle upload {directory} --new --dry-run")


@kaggle_group.command("upload")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--new", is_flag=True, help="Create the data set.")
@click.option("--version", "version", is_flag=True, help="Add a new version (needs -m).")
@click.option("-m", "--message", help="Version notes.")
@click.option("--public", is_flag=True, help="Make a new data set public (default private).")
@click.option("--dry-run", is_flag=True, help="Print the files, sizes and metadata; contact no one.")
def upload_command(directory, new, version, message, public, dry_run):
    """Upload DIRECTORY (prepared with `fractaldream kaggle prepare`) to Kaggle."""
    if new == version:
        raise UsageError("choose exactly one of --new and --version")
    if version and message is None:
        raise UsageError("--version needs -m MESSAGE")
    if new and message is not None:
        raise UsageError("-m MESSAGE goes with --version; a new data set has no version notes")
    upload(directory, new=new, message=message, public=public, dry_run=dry_run)
