"""pytorch-fid's InceptionV3 (pool3, 2048-d) as a feature extractor, with a clear error for missing weights."""

import contextlib
import pickle
from pathlib import Path

import torch
from pytorch_fid import inception as pytorch_fid_inception
from pytorch_fid.inception import InceptionV3
from torch.nn.functional import adaptive_avg_pool2d

from fractaldream.errors import FractalDreamError, UsageError
from gans.metrics import defaults
from gans.metrics.features import FeatureExtractor


def hub_weights_path() -> Path:
    """Where torch.hub (and so pytorch-fid) looks for the weights before fetching them."""
    return Path(torch.hub.get_dir()) / "checkpoints" / defaults.FID_WEIGHTS_FILE


def weights_available(weights=None) -> bool:
    return Path(weights).is_file() if weights else hub_weights_path().is_file()


def missing_weights_message(fetch_tried: bool = True) -> str:
    fetched = f" and could not be fetched from {pytorch_fid_inception.FID_WEIGHTS_URL}" if fetch_tried else ""
    return (
        f"FID needs the Inception weights {defaults.FID_WEIGHTS_FILE}, which are not in "
        f"{hub_weights_path().parent}/{fetched}: download that file into that folder, or pass --fid-weights PATH"
    )


def load_inception(dims: int = defaults.FID_DIMS, weights=None, device="cpu") -> InceptionV3:
    """pytorch-fid's model for ``dims`` features; weights from ``weights`` or torch.hub's cache (fetched once)."""
    if dims not in InceptionV3.BLOCK_INDEX_BY_DIM:
        raise UsageError(f"--dims must be one of {sorted(InceptionV3.BLOCK_INDEX_BY_DIM)}, got {dims}")
    if weights is not None and not Path(weights).is_file():
        raise UsageError(f"--fid-weights {weights}: no such file")
    source = weights or hub_weights_path()
    try:
        with _weights_from(weights):
            model = InceptionV3([InceptionV3.BLOCK_INDEX_BY_DIM[dims]])
    except OSError as error:
        if weights is None and not hub_weights_path().is_file():
            raise FractalDreamError(missing_weights_message()) from error
        raise FractalDreamError(f"cannot read the Inception weights {source}: {error}") from error
    except (RuntimeError, pickle.UnpicklingError, EOFError, KeyError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise FractalDreamError(f"the Inception weights {source} are not pytorch-fid's: {first_line}") from error
    return model.to(device).eval()


@contextlib.contextmanager
def _weights_from(weights):
    """pytorch-fid always loads through torch.hub; point that one call at a local file when one is given."""
    if weights is None:
        yield
        return
    original = pytorch_fid_inception.load_state_dict_from_url
    pytorch_fid_inception.load_state_dict_from_url = lambda url, **_: torch.load(
        weights, map_location="cpu", weights_only=True
    )
    try:
        yield
    finally:
        pytorch_fid_inception.load_state_dict_from_url = original


class InceptionFeatures(FeatureExtractor):
    frechet_name = "fid"

    def __init__(self, dims: int = defaults.FID_DIMS, weights=None, device="cpu"):
        super().__init__(device)
        self.name = "inception" if dims == defaults.FID_DIMS else f"inception-{dims}"
        self.dims = dims
        self.model = load_inception(dims, weights, self.device)

    def forward(self, images):
        # pytorch_fid.fid_score.get_activations, batch by batch.
        pred = self.model(images)[0]
        if pred.size(2) != 1 or pred.size(3) != 1:
            pred = adaptive_avg_pool2d(pred, output_size=(1, 1))
        return pred.squeeze(3).squeeze(2)

