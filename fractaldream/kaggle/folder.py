"""A folder as Kaggle will receive it: a complete build, with metadata Kaggle accepts, and no credentials."""

import fnmatch
import json
import os
import re
from pathlib import Path

from fractaldream import store
from fractaldream.errors import FractalDreamError, UsageError
from fractaldream.kaggle.metadata import METADATA_FILE, metadata_problems, raise_if

_PALETTE_ZIP = re.compile(r"images-[^/]+\.zip")
#: Names of files that hold credentials (compared with each file's name, in any case, anywhere in the folder).
CREDENTIAL_NAMES = ("kaggle.json", "access_token", "access_token.txt", ".env", ".env.*", "*.env", ".netrc", "_netrc",
                    ".pypirc", ".git-credentials", "credentials*", "*.pem", "*.key", "*.p12", "*.pfx",
                    "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*")


def palette_zip(palette: str) -> str:
    """The zip that holds one palette's images (``prepare --zip-per-palette``), keeping their paths."""
    return f"images-{palette}.zip"


def is_palette_zip(name: str) -> bool:
    return bool(_PALETTE_ZIP.fullmatch(name))


def excluded(name: str, exclude) -> bool:
    """Whether a file of this name is left out by ``--exclude`` (case-sensitive, as the kaggle package compares)."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in exclude)


def credential_problems(directory: Path, exclude=()) -> list[str]:
    """The credentials-like files that an upload of ``directory`` would send."""
    found = sorted(path.relative_to(directory) for path in directory.rglob("*") if path.is_file()
                   and any(fnmatch.fnmatchcase(path.name.lower(), name) for name in CREDENTIAL_NAMES)
                   and not excluded(path.name, exclude))
    return [f"{path} looks like credentials and would be uploaded: remove it, or leave it out with "
            f"--exclude {path.name}" for path in found]


def folder_problems(directory: Path, exclude=()) -> list[str]:
    """A complete build to publish: its tables readable, every listed image there, nothing half written or empty,
    no credentials (but those ``exclude`` leaves out)."""
    problems = credential_problems(directory, exclude)
    missing = [f"{directory / name} is missing (is {directory} a built data set?)"
               for name in (store.BUILD_JSON, store.PARAMS_CSV) if not (directory / name).is_file()]
    if missing:
        return problems + missing
    try:
        if store.read_json(directory / store.BUILD_JSON).get("attractor") != "fractal_dream":
            problems.append(f"{directory / store.BUILD_JSON} does not describe a Fractal Dream build")
        table = store.read_params(directory / store.PARAMS_CSV)
    except FractalDreamError as error:
        return problems + [str(error)]
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


def validate(directory, exclude=()) -> dict:
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
    raise_if(folder_problems(directory, exclude) + metadata_problems(metadata, directory),
             f"{directory} cannot be published")
    return metadata
