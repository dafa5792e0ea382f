"""Upload a prepared folder: first the plan (what the kaggle package will send), then sending it.

Nothing is printed here: the command line shows the plan of a dry run and the result of an upload.
"""

from dataclasses import dataclass, field
from pathlib import Path

from fractaldream import store
from fractaldream.errors import FractalDreamError, UsageError
from fractaldream.kaggle import client
from fractaldream.kaggle.folder import excluded, is_palette_zip, validate
from fractaldream.kaggle.metadata import METADATA_FILE
from fractaldream.lock import LOCK_FILE

#: Files the kaggle package never uploads as data.
NOT_UPLOADED = {METADATA_FILE, "datapackage.json", *(f"dataset-cover-image{e}" for e in (".png", ".jpg", ".jpeg", ".webp"))}


@dataclass
class UploadPlan:
    """What the kaggle package will send: (name as uploaded, bytes, note) per item, and what it skips."""

    directory: Path
    metadata: dict
    new: bool
    message: str | None = None
    public: bool = False
    items: list[tuple[str, int, str]] = field(default_factory=list)
    ignore_patterns: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(size for _, size, _ in self.items)

    @property
    def action(self) -> str:
        if self.new:
            return f"create the {'public' if self.public else 'private'} data set {self.metadata['id']}"
        return f"add a version to {self.metadata['id']} ({self.message})"


@dataclass
class Uploaded:
    """Kaggle's answer to an accepted upload: where the data set is, and the tags it did not know."""

    url: str
    unknown_tags: list[str]


def plan_upload(directory, new: bool, message: str | None = None, public: bool = False, exclude=()) -> UploadPlan:
    """Creating the data set (``new``) or a new version of it, checked as Kaggle would check it.

    Files named as ``exclude`` says (names or globs, anywhere in the folder) and the build's writer lock stay home.
    """
    directory = Path(directory)
    if not new and not (message or "").strip():
        raise UsageError("a new version needs a non-empty -m MESSAGE")
    if public and not new:
        raise UsageError("--public applies to --new only; a version keeps the data set's visibility")
    metadata = validate(directory, exclude)
    zipped = any(is_palette_zip(str(r.get("path"))) for r in metadata.get("resources", []))
    # The kaggle package matches a pattern against paths relative to the folder, or to a sub-folder it zips.
    ignored = [LOCK_FILE, *(path for name in exclude for path in (name, f"*/{name}"))]
    plan = UploadPlan(directory, metadata, new, message, public,
                      ignore_patterns=ignored + ([f"{store.IMAGES}/"] if zipped else []))
    for entry in sorted(directory.iterdir()):
        if (entry.name in NOT_UPLOADED or entry.name == LOCK_FILE or excluded(entry.name, exclude)
                or (entry.is_dir() and f"{entry.name}/" in plan.ignore_patterns)):
            continue
        if entry.is_dir():
            files = [p for p in entry.rglob("*") if p.is_file() and not excluded(p.name, exclude)]
            plan.items.append((f"{entry.name}.zip", sum(p.stat().st_size for p in files),
                               f"folder {entry.name}/ zipped: {len(files):,} files, size before zipping"))
        else:
            plan.items.append((entry.name, entry.stat().st_size, ""))
    return plan


def upload(plan: UploadPlan) -> Uploaded:
    """Send what ``plan`` lists through the one Kaggle client; a refusal or a failure is a FractalDreamError."""
    api = client.client()
    common = dict(folder=str(plan.directory), quiet=False, dir_mode="zip", ignore_patterns=plan.ignore_patterns)
    try:
        if plan.new:
            result = api.dataset_create_new(public=plan.public, **common)
        else:
            result = api.dataset_create_version(version_notes=plan.message, **common)
    except Exception as error:  # the kaggle package raises ValueError, HTTPError, ...: all mean "not sent"
        raise FractalDreamError(f"could not {plan.action}: {client.redact(error)}") from None
    status = getattr(result, "status", None)
    if not isinstance(status, str) or status.lower() != "ok":
        error = getattr(result, "error", None) or "no reason given"
        raise FractalDreamError(f"Kaggle refused to {plan.action}: {client.redact(error)}")
    url = getattr(result, "url", "") or f"https://www.kaggle.com/datasets/{plan.metadata['id']}"
    return Uploaded(url, list(getattr(result, "invalid_tags", None) or []))
