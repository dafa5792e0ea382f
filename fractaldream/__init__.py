"""The Fractal Dream Dataset: strange attractors with known parameter-space coordinates.

The pipeline reads like datashader's: sample parameters -> iterate -> aggregate -> shade -> write.
"""

__version__ = "0.1.0"

from fractaldream.attractor import FACTORS  # noqa: E402
from fractaldream.render import render  # noqa: E402


def __getattr__(name):
    # torch is heavy: import the Dataset only when it is asked for.
    if name == "FractalDreamDataset":
        from fractaldream.dataset import FractalDreamDataset

        return FractalDreamDataset
    raise AttributeError(name)


__all__ = ["FACTORS", "FractalDreamDataset", "render", "__version__"]
