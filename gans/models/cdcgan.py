"""Conditional DCGAN: G(z, cond) and D(x, cond).

The condition is FDD's parameter vector v, normalised to [-1, 1] (``FractalDreamDataset`` order
x0, y0, a, b, c, d), or, on MNIST / Fashion-MNIST, the class as a one-hot vector (G also takes
integer labels). G sees it appended to z; D sees it as constant extra input channels.
"""

import torch
from torch.nn import functional as F

from gans.models.base import GANModel, uniform
from gans.models.blocks import ConditionedDiscriminator, ConditionedGenerator
from gans.models.dcgan import conv_generator


class CDCGAN(GANModel):
    name = "cdcgan"
    code_methods = ("v",)
    conditioning = frozenset({"v", "labels"})
    conditional = True

    def __init__(self, config, info):
        super().__init__(config, info)
        self.cond_dim = len(info.factors) or info.classes
        net = conv_generator(config, info, self.latent_dim + self.cond_dim)
        self.generator = ConditionedGenerator(net, self.cond_dim)
        self.discriminator = ConditionedDiscriminator(
            self.cond_dim, config.image_size, info.channels, width=config.width, leaky_slope=config.leaky_slope,
            bn_eps=config.bn_eps, dropout=config.d_dropout)

    def condition(self, target):
        if target.is_floating_point():
            return target
        return F.one_hot(target, self.cond_dim).float()

    def sample_condition(self, n, generator=None, device=None):
        """Uniform v in [-1, 1]^6 for FDD; classes 0, 1, ..., K-1, 0, ... (one-hot) otherwise."""
        if self.info.factors:
            return uniform(n, self.cond_dim, generator, device)
        return F.one_hot(torch.arange(n, device=device) % self.cond_dim, self.cond_dim).float()

    def latent_for_v(self, v, generator=None):
        """cond = v, z from the prior."""
        return self.sample_latent(len(v), generator=generator, device=v.device), v

    def generate(self, z, cond=None):
        return self.generator(z, cond)

    def train_step(self, x, target, tricks, optimizers, step):
        cond = self.condition(target)
        fake = self.generator(self.sample_latent(x.size(0), device=x.device), cond)
        return self.adversarial_step(lambda images: self.discriminator.logits(images, cond), x, fake, tricks,
                                     optimizers)
