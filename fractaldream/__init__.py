"""The Fractal Dream Dataset: strange attractors with known parameter-space coordinates.

The pipeline reads like datashader's: sample parameters -> iterate -> aggregate -> shade -> write.
Importing the package loads neither numba nor torch: ``fractaldream.render.render`` draws FD(v),
``FractalDreamDataset`` (loaded on first use) reads a data set.
"""

__version__ = "0.1.0"

from fractaldream.settings import FACTORS  # noqa: E402


def __getattr__(name):
    # torch is heavy: import the Dataset only when it is asked for.
    if name == "FractalDreamDataset":
        from fractaldream.dataset import FractalDreamDataset

        return FractalDreamDataset
    raise AttributeError(name)


__all__ = ["FACTORS", "FractalDreamDataset", "__version__"]
