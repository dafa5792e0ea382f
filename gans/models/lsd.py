"""The study's "latent supervision" experiment on FDD: G's latent is v itself.

G maps the normalised parameter vector v in [-1, 1]^6 (``FractalDreamDataset`` order x0, y0, a, b,
c, d) to an image; its loss is the non-saturating adversarial term plus
``lsd_weight * MSE(FD(v), G(v))``, where FD(v) is the data set's own image of v.
"""

from torch.nn import functional as F

from fractaldream.errors import UsageError
from gans.models.base import GANModel, uniform
from gans.models.dcgan import conv_discriminator, conv_generator


class LSD(GANModel):
    name = "lsd"
    code_methods = ("v",)
    conditioning = frozenset({"v"})
    defaults = dict(latent_dim=6)

    @classmethod
    def check(cls, config, dataset):
        super().check(config, dataset)
        if config.latent_dim != len(dataset.factors):
            raise UsageError(f"model lsd needs a latent of {len(dataset.factors)}, the size of v (its latent is v itself)")

    def __init__(self, config, info):
        super().__init__(config, info)
        self.generator = conv_generator(config, info, self.latent_dim)
        self.discriminator = conv_discriminator(config, info)

    def sample_latent(self, n, generator=None, device=None):
        return uniform(n, self.latent_dim, generator, device)

    def train_step(self, x, target, tricks, optimizers, step):
        fake = self.generator(target.to(x.dtype))

        def supervision():
            return {"loss_supervision": self.config.lsd_weight * F.mse_loss(fake.float(), x.float())}

        return self.adversarial_step(self.discriminator.logits, x, fake, tricks, optimizers, supervision)
