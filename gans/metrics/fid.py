"""FID (Heusel et al. 2017) through pytorch-fid's own code, plus the Gaussian statistics it compares.

``fid_of_paths`` takes folders or ``.npz`` files like ``python -m pytorch_fid`` and gives its number;
``cached_statistics`` keeps a real set's statistics (and features) per data set and image size.
"""

import io
import pathlib
import warnings
from pathlib import Path

import numpy as np
from pytorch_fid.fid_score import IMAGE_EXTENSIONS, calculate_frechet_distance, get_activations
from scipy.linalg import LinAlgWarning

from fractaldream.errors import UsageError
from fractaldream.store import write_atomic
from gans.data.cache import cache_root
from gans.metrics import defaults
from gans.metrics.inception import InceptionFeatures


def gaussian_statistics(features: np.ndarray) -> dict:
    """Mean and covariance of features, computed as pytorch-fid does."""
    if len(features) < 2:
        raise UsageError(f"a Frechet distance needs at least 2 images, got {len(features)}")
    return {"mu": np.mean(features, axis=0), "sigma": np.cov(features, rowvar=False)}


def frechet_distance(stats1: dict, stats2: dict) -> float:
    if np.shape(stats1["mu"]) != np.shape(stats2["mu"]):
        raise UsageError(
            f"the statistics have different dimensions ({np.shape(stats1['mu'])[0]} and {np.shape(stats2['mu'])[0]})"
        )
    with warnings.catch_warnings():
        # scipy warns about (near-)singular covariances of small sets; pytorch-fid handles them itself.
        warnings.simplefilter("ignore", LinAlgWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return float(calculate_frechet_distance(stats1["mu"], stats1["sigma"], stats2["mu"], stats2["sigma"]))


def image_files(folder: Path) -> list[Path]:
    """The images pytorch-fid reads from a folder, in its order."""
    return sorted(file for ext in IMAGE_EXTENSIONS for file in pathlib.Path(folder).glob(f"*.{ext}"))


def statistics_of_path(path, extractor: InceptionFeatures, batch_size=defaults.FID_BATCH_SIZE, num_workers=0) -> dict:
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    if path.suffix == ".npz":
        return load_statistics(path)
    files = image_files(path)
    if len(files) < 2:
        raise UsageError(f"{path}: a folder with at least 2 images is needed, found {len(files)}")
    features = get_activations(files, extractor.model, batch_size, extractor.dims, extractor.device, num_workers)
    return gaussian_statistics(features)


def fid_of_paths(path1, path2, dims=defaults.FID_DIMS, batch_size=defaults.FID_BATCH_SIZE, device="cpu",
                 weights=None, num_workers=0) -> float:
    """The FID between two folders of images or ``.npz`` statistics, as ``python -m pytorch_fid`` computes it."""
    for path in (path1, path2):
        if not Path(path).exists():
            raise UsageError(f"{path}: no such file or folder")
    extractor = InceptionFeatures(dims, weights, device)
    stats = [statistics_of_path(p, extractor, batch_size, num_workers) for p in (path1, path2)]
    return frechet_distance(*stats)


def load_statistics(path) -> dict:
    try:
        with np.load(path) as data:
            return {key: data[key][:] for key in data.files}
    except (OSError, ValueError) as error:
        raise UsageError(f"{path}: not a readable .npz file ({error})") from error


def save_statistics(path, stats: dict) -> None:
    """Atomically write ``stats`` (``mu``, ``sigma`` and any extra arrays) as an .npz file."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **stats)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_atomic(Path(path), buffer.getvalue())


def statistics_cache_path(dataset: str, image_size: int, extractor_name: str, fingerprint: str) -> Path:
    return cache_root() / "statistics" / f"{dataset}-{image_size}px-{extractor_name}-{fingerprint[:16]}.npz"


def cached_statistics(path: Path, features_of_real) -> dict:
    """The real set's ``mu``, ``sigma`` and ``features``: read from ``path``, or computed once and saved there."""
    if path.is_file():
        stats = load_statistics(path)
        if {"mu", "sigma", "features"} <= set(stats):
            return stats
    features = features_of_real()
    stats = {**gaussian_statistics(features), "features": features.astype(np.float32)}
    save_statistics(path, stats)
    return stats
