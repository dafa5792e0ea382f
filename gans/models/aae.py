"""Adversarial auto-encoders: encoder E (x -> z), decoder G (z -> x), and an adversary, two variants.

- ``makhzani`` (Makhzani et al. 2015): D is an MLP on latent codes, prior N(0, I) against E(x);
  each step a reconstruction update of E and G, a D update, and an E update to fool D.
- ``study`` (the original study): D is an image discriminator, real x against G(z), z ~ N(0, I);
  E and G minimise MSE(x, G(E(x))) + the latent-moment loss (push E's codes toward N(0, 1))
  plus G's non-saturating adversarial term.
"""

from torch import nn
from torch.nn import functional as F

from gans.models.base import GANModel, optimizer_step
from gans.models.blocks import MLPDiscriminator
from gans.models.dcgan import conv_discriminator, conv_generator


def latent_moment_loss(z):
    """MSE(mean z, 0) + 0.5 * MSE(mean z^2, 1), per latent dimension over the batch."""
    z = z.float()
    return z.mean(0).pow(2).mean() + 0.5 * (z.pow(2).mean(0) - 1).pow(2).mean()


class Encoder(nn.Module):
    """x -> z (B, latent_dim): a DCGAN discriminator trunk whose head outputs the code."""

    def __init__(self, config, info, latent_dim):
        super().__init__()
        self.net = conv_discriminator(config, info, out_dim=latent_dim, dropout=0.0)

    def forward(self, x):
        return self.net.logits(x).reshape(x.size(0), -1)


class AAE(GANModel):
    name = "aae"
    code_methods = ("encoder",)
    dataset_defaults = {"simpsons": dict(leaky_slope=0.1, bn_eps=0.01, batch_size=16, lr_d=4e-5, lr_g=4e-4, lr_e=4e-4)}

    def __init__(self, config, info):
        super().__init__(config, info)
        self.variant = config.aae_variant
        self.generator = conv_generator(config, info, self.latent_dim)
        self.encoder = Encoder(config, info, self.latent_dim)
        if self.variant == "makhzani":
            self.discriminator = MLPDiscriminator(self.latent_dim, hidden=(512, 512), leaky_slope=config.leaky_slope,
                                                  dropout=config.d_dropout)
        else:
            self.discriminator = conv_discriminator(config, info)

    def param_groups(self):
        return {**super().param_groups(), "e": (list(self.encoder.parameters()), self.config.lr_e)}

    def train_step(self, x, target, tricks, optimizers, step):
        if self.variant == "makhzani":
            return self._makhzani_step(x, tricks, optimizers)
        return self._study_step(x, tricks, optimizers)

    def _makhzani_step(self, x, tricks, optimizers):
        loss_rec = F.mse_loss(self.generator(self.encoder(x)).float(), x.float())
        optimizer_step([optimizers["e"], optimizers["g"]], loss_rec)
        prior = self.sample_latent(x.size(0), device=x.device).to(x.dtype)
        losses = self.adversarial_step(self.discriminator.logits, prior, self.encoder(x), tricks, optimizers,
                                       g_names=("e",))
        return {**losses, "loss_rec": loss_rec.detach()}

    def _study_step(self, x, tricks, optimizers):
        fake = self.generator(self.sample_latent(x.size(0), device=x.device))

        def auto_encoding():
            z = self.encoder(x)
            return {"loss_rec": F.mse_loss(self.generator(z).float(), x.float()), "loss_latent": latent_moment_loss(z)}

        return self.adversarial_step(self.discriminator.logits, x, fake, tricks, optimizers, auto_encoding,
                                     g_names=("g", "e"))
