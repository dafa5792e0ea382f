"""InfoGAN (Chen et al. 2016): G's input carries codes that an auxiliary head Q must recover from G(z).

G's input, ``latent_dim`` = codes + categorical + noise wide, is laid out as
[continuous codes ~ U(-1, 1) | one-hot categorical code | noise ~ N(0, I)]. Q shares D's conv trunk;
its continuous outputs are trained with MSE (a fixed-variance Gaussian), its categorical ones with
cross-entropy; ``predict_codes(x)`` returns the continuous codes Q reads from images.
"""

import torch
from torch import nn
from torch.nn import functional as F

from gans.models.base import GANModel, normal, uniform
from gans.models.dcgan import conv_discriminator, conv_generator


class InfoGAN(GANModel):
    name = "infogan"
    code_methods = ("q_codes",)
    defaults = dict(latent_dim=62)
    dataset_defaults = {"fractal": dict(latent_dim=10)}

    def __init__(self, config, info):
        super().__init__(config, info)
        self.n_codes, self.n_categories = config.codes, config.categorical
        self.latent_dim = self.n_codes + self.n_categories + config.latent_dim
        self.generator = conv_generator(config, info, self.latent_dim)
        self.discriminator = conv_discriminator(config, info)
        self.q = nn.Sequential(
            nn.Conv2d(self.discriminator.feature_dim, 128, 4, 1, 0, bias=False), nn.BatchNorm2d(128, eps=config.bn_eps),
            nn.LeakyReLU(config.leaky_slope), nn.Flatten(), nn.Linear(128, self.n_codes + self.n_categories))

    def param_groups(self):
        return {**super().param_groups(), "q": (list(self.q.parameters()), self.config.lr_g)}

    def sample_latent(self, n, generator=None, device=None, categories=None):
        codes = uniform(n, self.n_codes, generator, device)
        if categories is None:
            categories = torch.arange(n, device=device) % max(self.n_categories, 1)
        one_hot = F.one_hot(categories, self.n_categories).float() if self.n_categories else codes[:, :0]
        noise = normal(n, self.config.latent_dim, generator, device)
        return torch.cat([codes, one_hot.to(codes.device), noise], 1)

    def latent_for_v(self, v, generator=None):
        """The continuous codes = v, the rest zero, when there are as many codes as v has entries."""
        if self.n_codes != v.shape[1]:
            return None
        z = torch.zeros(len(v), self.latent_dim, device=v.device)
        z[:, : self.n_codes] = v
        return z, None

    def predict_codes(self, x):
        """x -> the continuous codes (B, codes) Q reads from the images."""
        return self.q(self.discriminator.features(x))[:, : self.n_codes]

    def train_step(self, x, target, tricks, optimizers, step):
        n = x.size(0)
        categories = torch.randint(max(self.n_categories, 1), (n,), device=x.device)
        z = self.sample_latent(n, device=x.device, categories=categories).to(x.dtype)
        fake = self.generator(z)

        def information():
            q = self.q(self.discriminator.features(fake)).float()
            loss = F.mse_loss(q[:, : self.n_codes], z[:, : self.n_codes].float()) if self.n_codes else 0.0
            if self.n_categories:
                loss = loss + F.cross_entropy(q[:, self.n_codes:], categories)
            return {"loss_info": self.config.info_weight * loss}

        return self.adversarial_step(self.discriminator.logits, x, fake, tricks, optimizers, information,
                                     g_names=("g", "q"))
