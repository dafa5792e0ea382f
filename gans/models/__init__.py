"""The model family, one module per model: the registry is this package's folder.

Every module here other than the shared ``base``, ``blocks`` and ``losses`` defines one model, a
``GANModel`` subclass that describes itself (its name, the code methods it offers, what it is
conditioned on, how a parameter vector becomes its latent, its image sizes and tuned defaults).
Adding a model is adding its module. Listing the names imports no model, so no torch.
"""

from __future__ import annotations

import importlib
import pkgutil

SHARED = frozenset({"base", "blocks", "losses"})


def _module_name(model: str) -> str:
    return model.replace("-", "_")


#: The model names (a module ``wgan_gp`` is the model ``wgan-gp``), sorted.
MODELS = tuple(sorted(m.name.replace("_", "-") for m in pkgutil.iter_modules(__path__) if m.name not in SHARED))


def model_class(name: str):
    """The ``GANModel`` subclass called ``name``."""
    from fractaldream.errors import UsageError
    from gans.models.base import GANModel

    if name not in MODELS:
        raise UsageError(f"unknown model {name!r} (choose from {', '.join(MODELS)})")
    module = importlib.import_module(f"{__name__}.{_module_name(name)}")
    classes = [c for c in vars(module).values()
               if isinstance(c, type) and issubclass(c, GANModel) and c.__dict__.get("name") == name]
    if len(classes) != 1:
        raise TypeError(f"{module.__name__} must define exactly one GANModel subclass with name = {name!r}")
    return classes[0]


def build_model(config, info):
    """The model ``config.model`` for data described by ``info`` (a ``gans.data.loading.DataInfo``)."""
    return model_class(config.model)(config, info)


__all__ = ["MODELS", "build_model", "model_class"]
