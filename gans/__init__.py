"""The DCGAN/AAE family on the Fractal Dream Dataset, Simpsons Faces and CelebA, and its benchmark."""

from fractaldream import __version__

__all__ = ["__version__"]
