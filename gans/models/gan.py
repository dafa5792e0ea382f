"""The MLP GAN of Goodfellow et al. 2014: fully connected G and D (with dropout in D)."""

from gans.models.base import GANModel
from gans.models.blocks import MLPDiscriminator, MLPGenerator


class GAN(GANModel):
    name = "gan"
    defaults = dict(d_dropout=0.3)

    def __init__(self, config, info):
        super().__init__(config, info)
        pixels = info.channels * config.image_size ** 2
        self.generator = MLPGenerator(self.latent_dim, config.image_size, info.channels)
        self.discriminator = MLPDiscriminator(pixels, leaky_slope=config.leaky_slope, dropout=config.d_dropout)

    def train_step(self, x, target, tricks, optimizers, step):
        fake = self.generator(self.sample_latent(x.size(0), device=x.device))
        return self.adversarial_step(self.discriminator.logits, x, fake, tricks, optimizers)
