"""The Fractal Dream Dataset: strange attractors with known parameter-space coordinates.

The pipeline reads like datashader's: sample parameters -> iterate -> aggregate -> shade -> write.
Importing the package loads neither numba nor torch: ``fractaldream.render.render`` draws FD(v),
``FractalDreamDataset`` reads a data set and ``FractalDreamStream`` renders one on the fly (both loaded on
first use).
"""

__version__ = "0.1.0"

from fractaldream.settings import FACTORS  # noqa: E402


#: The torch data sets, imported only when asked for (torch and numba are heavy).
LAZY = {"FractalDreamDataset": "fractaldream.dataset", "FractalDreamStream": "fractaldream.stream"}


def __getattr__(name):
    if name in LAZY:
        import importlib

        return getattr(importlib.import_module(LAZY[name]), name)
    raise AttributeError(name)


__all__ = ["FACTORS", "FractalDreamDataset", "FractalDreamStream", "__version__"]
