"""What Kaggle accepts in ``dataset-metadata.json`` (the format the kaggle package's ``datasets create`` reads).

Every check returns readable sentences, so that one error can list everything Kaggle would reject.
"""

import re
from pathlib import Path

from fractaldream.errors import UsageError

METADATA_FILE = "dataset-metadata.json"
DEFAULT_TITLE = "Fractal Dream Dataset"
DEFAULT_LICENSE = "CC0-1.0"

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

_OWNER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")


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


def raise_if(problems: list[str], what: str) -> None:
    if problems:
        raise UsageError(f"{what}: " + "; ".join(problems))
