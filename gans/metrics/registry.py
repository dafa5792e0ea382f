"""The feature extractors by name: importing this module registers the built-in ones."""

from fractaldream.errors import UsageError
from gans.metrics.features import FeatureExtractor
from gans.metrics.ffd import RegressorFeatures
from gans.metrics.inception import InceptionFeatures

EXTRACTORS: dict[str, type[FeatureExtractor]] = {}


def register(name: str, extractor: type[FeatureExtractor]) -> None:
    """Make ``extractor`` available as ``name``."""
    EXTRACTORS[name] = extractor


def create(name: str, **options) -> FeatureExtractor:
    """The extractor registered as ``name``, built with ``options`` (e.g. ``dims``, ``weights``, ``regressor``)."""
    if name not in EXTRACTORS:
        raise UsageError(f"unknown feature extractor {name!r}; choose from {', '.join(sorted(EXTRACTORS))}")
    return EXTRACTORS[name](**options)


register("inception", InceptionFeatures)
register("fdd-regressor", RegressorFeatures)
