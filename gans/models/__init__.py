"""The model family, one module per model; ``build_model(config, info)`` picks one by name."""

from gans.models.aae import AAE
from gans.models.base import GANModel
from gans.models.cdcgan import CDCGAN
from gans.models.dcgan import DCGAN
from gans.models.gan import GAN
from gans.models.infogan import InfoGAN
from gans.models.lsd import LSD
from gans.models.wgan_gp import WGANGP

MODEL_CLASSES = {"gan": GAN, "dcgan": DCGAN, "aae": AAE, "wgan-gp": WGANGP, "infogan": InfoGAN, "cdcgan": CDCGAN,
                 "lsd": LSD}


def build_model(config, info) -> GANModel:
    """The model ``config.model`` for data described by ``info`` (a ``gans.data.DataInfo``)."""
    return MODEL_CLASSES[config.model](config, info)


__all__ = ["GANModel", "MODEL_CLASSES", "build_model"]
