"""WGAN-GP (Gulrajani et al. 2017): a critic with layer norm, Wasserstein loss, gradient penalty.

Every step updates the critic; G is updated every ``n_critic`` steps. ``d_real`` / ``d_fake`` in the
log are the critic's mean values (not probabilities). Label smoothing and the unequal-training band
are BCE tricks and do not apply; instance noise does.
"""

import torch

from gans.models.base import GANModel, optimizer_step
from gans.models.dcgan import conv_discriminator, conv_generator


class WGANGP(GANModel):
    name = "wgan-gp"
    defaults = dict(lr_g=1e-4, lr_d=1e-4, betas=(0.0, 0.9))
    logit_scores = ()

    def __init__(self, config, info):
        super().__init__(config, info)
        self.generator = conv_generator(config, info, self.latent_dim)
        self.discriminator = conv_discriminator(config, info, norm="layer")

    def gradient_penalty(self, real, fake):
        alpha = torch.rand(real.size(0), 1, 1, 1, device=real.device, dtype=real.dtype)
        mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        scores = self.discriminator.logits(mixed)
        (grad,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)
        return ((grad.flatten(1).float().norm(dim=1) - 1) ** 2).mean()

    def train_step(self, x, target, tricks, optimizers, step):
        critic = self.discriminator.logits
        fake = self.generator(self.sample_latent(x.size(0), device=x.device))
        real_scores = critic(tricks.d_input(x, real=True)).float()
        fake_scores = critic(tricks.d_input(fake.detach(), real=False)).float()
        penalty = self.gradient_penalty(x, fake.detach())
        loss_d = fake_scores.mean() - real_scores.mean() + self.config.gp_weight * penalty
        optimizer_step([optimizers["d"]], loss_d)
        losses = {"loss_d": loss_d.detach(), "gradient_penalty": penalty.detach(),
                  "d_real": real_scores.detach(), "d_fake": fake_scores.detach()}
        if step % self.config.n_critic == 0:
            loss_g = -critic(tricks.d_input(fake, real=False)).float().mean()
            optimizer_step([optimizers["g"]], loss_g)
            losses["loss_g"] = loss_g.detach()
        return losses
