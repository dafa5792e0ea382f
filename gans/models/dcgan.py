"""DCGAN (Radford et al. 2015): conv generator and discriminator, non-saturating BCE losses."""

from gans.models.base import GANModel
from gans.models.blocks import ConvDiscriminator, ConvGenerator


def conv_generator(config, info, input_dim):
    return ConvGenerator(input_dim, config.image_size, info.channels, config.width, config.bn_eps, config.upsample)


def conv_discriminator(config, info, channels=None, **kwargs):
    options = dict(width=config.width, leaky_slope=config.leaky_slope, bn_eps=config.bn_eps, dropout=config.d_dropout)
    return ConvDiscriminator(config.image_size, channels or info.channels, **{**options, **kwargs})


class DCGAN(GANModel):
    name = "dcgan"
    dataset_defaults = {
        "fractal": dict(lr_g=1e-3, lr_d=1e-4, bn_eps=0.5),
        "simpsons": dict(leaky_slope=1e-6, bn_eps=0.5, batch_size=16, lr_d=5e-5, lr_g=2.5e-4),
    }

    def __init__(self, config, info):
        super().__init__(config, info)
        self.generator = conv_generator(config, info, self.latent_dim)
        self.discriminator = conv_discriminator(config, info)

    def train_step(self, x, target, tricks, optimizers, step):
        fake = self.generator(self.sample_latent(x.size(0), device=x.device))
        return self.adversarial_step(self.discriminator.logits, x, fake, tricks, optimizers)
