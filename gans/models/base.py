"""What every model of the family offers the training loop, sampling and the benchmark.

A model class describes itself in class attributes (see ``GANModel``): nothing outside
``gans.models`` names a model. A model is an ``nn.Module`` holding its nets as submodules (``generator`` always, ``discriminator``
always, ``encoder`` where it exists). ``param_groups`` names the parameter sets that get an
optimizer each; ``train_step`` does one optimisation step on a batch and returns detached tensors
whose means the loop logs, reading them back only every ``log_every`` steps. So that a step launches
no extra work for its log, ``d_real`` / ``d_fake`` may be D's raw logits: the keys in
``logit_scores`` go through a sigmoid at logging time.
"""

from __future__ import annotations

import torch
from torch import nn

from fractaldream.errors import UsageError
from gans.models.blocks import SIZES, dcgan_init
from gans.models.losses import bce, bce_ones, bce_zeros


class GANModel(nn.Module):
    #: The name ``gans train --model`` knows it by (its module's name, with "-" for "_").
    name = ""
    #: How codes of real images are obtained from a trained model (``gans.bench.codes``): "encoder",
    #: "q_codes", "inversion", "posthoc_encoder", or "v" (the model is fed v: codes by construction).
    code_methods: tuple[str, ...] = ("inversion", "posthoc_encoder")
    #: What the model is trained on besides images: "v" (FDD's parameter vectors), "labels" (classes).
    #: ``train_step`` then reads the batch's targets; empty: images only.
    conditioning: frozenset[str] = frozenset()
    conditional = False  # True: the generator takes (z, cond)
    image_sizes: tuple[int, ...] = SIZES
    #: Training defaults for this model on every data set, then per data set (the study's best values).
    defaults: dict = {}
    dataset_defaults: dict[str, dict] = {}
    logit_scores = ("d_real", "d_fake")

    @property
    def uses_targets(self) -> bool:
        return bool(self.conditioning)

    @classmethod
    def fits(cls, dataset) -> bool:
        """The data set offers what this model is conditioned on (``dataset``: a ``gans.datasets`` record)."""
        return not cls.conditioning or bool(cls.conditioning & dataset.conditions)

    @classmethod
    def check(cls, config, dataset) -> None:
        """Refuse a resolved ``config`` this model cannot train on ``dataset`` (a ``gans.datasets`` record)."""
        if config.image_size not in cls.image_sizes:
            sizes = ", ".join(map(str, cls.image_sizes[:-1])) + f" or {cls.image_sizes[-1]}"
            raise UsageError(f"model {cls.name}: image size {config.image_size} not supported (choose {sizes})")
        if not cls.fits(dataset):
            raise UsageError(f"model {cls.name} needs a data set with {' or '.join(sorted(cls.conditioning))} "
                             f"to condition on; {dataset.name} has none")

    def __init__(self, config, info):
        super().__init__()
        self.config = config
        self.info = info
        self.latent_dim = config.latent_dim  # the generator's input size (infogan: noise + codes)

    # -- sampling ---------------------------------------------------------------------------
    def sample_latent(self, n: int, generator: torch.Generator | None = None, device=None) -> torch.Tensor:
        """The prior: z ~ N(0, I) of shape (n, latent_dim)."""
        return normal(n, self.latent_dim, generator, device)

    def sample_condition(self, n: int, generator: torch.Generator | None = None, device=None):
        return None

    def generate(self, z, cond=None):
        return self.generator(z)

    def latent_for_v(self, v: torch.Tensor, generator: torch.Generator | None = None):
        """(z, cond) that put the normalised parameter vectors v (N, 6) where this model's latent takes
        them, or None where it has no place for v. By default z = v when the latent is v's size: the
        original study's correspondence experiment."""
        return (v, None) if self.latent_dim == v.shape[1] else None

    # -- optimisation -----------------------------------------------------------------------
    def param_groups(self) -> dict[str, tuple[list, float]]:
        """Optimizer name -> (parameters, learning rate)."""
        c = self.config
        return {"g": (list(self.generator.parameters()), c.lr_g), "d": (list(self.discriminator.parameters()), c.lr_d)}

    def make_optimizer(self, name: str) -> torch.optim.Optimizer:
        params, lr = self.param_groups()[name]
        return torch.optim.Adam(params, lr=lr, betas=tuple(self.config.betas))

    def make_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {name: self.make_optimizer(name) for name in self.param_groups()}

    def discriminator_parts(self) -> dict[str, nn.Module]:
        """Optimizer name -> the adversary it trains (what "reset D" re-initialises)."""
        return {"d": self.discriminator}

    def reset_discriminator(self) -> list[str]:
        """Re-initialise the adversaries; returns the names of the optimizers to remake."""
        for module in self.discriminator_parts().values():
            for m in module.modules():
                if m is not module and hasattr(m, "reset_parameters"):
                    m.reset_parameters()
            dcgan_init(module)
        return list(self.discriminator_parts())

    def train_step(self, x, target, tricks, optimizers, step: int) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    # -- the adversarial game shared by the BCE models --------------------------------------
    def adversarial_step(self, d_logits, real, fake, tricks, optimizers, extra_g_loss=None,
                         g_names=("g",), d_name="d"):
        """One D update on ``real`` vs ``fake.detach()``, then one G update with the non-saturating loss.

        ``d_logits(images)`` gives D's logits; ``extra_g_loss(fake_logits)`` adds terms to G's loss.
        """
        real_logits = d_logits(tricks.d_input(real, real=True))
        fake_logits = d_logits(tricks.d_input(fake.detach(), real=False))
        loss_d = bce(real_logits, tricks.real_targets(real_logits)) + bce_zeros(fake_logits)
        update_d, update_g = tricks.updates(real_logits, fake_logits)
        if update_d:
            optimizer_step([optimizers[d_name]], loss_d)
        loss_g = bce_ones(d_logits(tricks.d_input(fake, real=False)))
        losses = {"loss_d": loss_d.detach(), "loss_g": loss_g.detach()}
        if extra_g_loss is not None:
            extra = extra_g_loss()
            losses.update({k: v.detach() for k, v in extra.items()})
            loss_g = loss_g + sum(extra.values())
        if update_g:
            optimizer_step([optimizers[n] for n in g_names], loss_g)
        losses["d_real"] = real_logits.detach()
        losses["d_fake"] = fake_logits.detach()
        return losses


def optimizer_step(optimizers, loss) -> None:
    for opt in optimizers:
        opt.zero_grad(set_to_none=True)
    loss.backward()
    for opt in optimizers:
        opt.step()


def normal(n, dim, generator, device):
    """N(0, I) samples (n, dim) on ``device``; drawn from ``generator`` (on its own device) when given."""
    if generator is not None:
        return torch.randn(n, dim, generator=generator, device=generator.device).to(device or "cpu")
    return torch.randn(n, dim, device=device)


def uniform(n, dim, generator, device):
    """U(-1, 1): the normalised range of the FDD parameter vector v."""
    if generator is not None:
        u = torch.rand(n, dim, generator=generator, device=generator.device).to(device or "cpu")
    else:
        u = torch.rand(n, dim, device=device)
    return u * 2 - 1
