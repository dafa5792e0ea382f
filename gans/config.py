"""A training run's settings, and the per-data-set / per-model defaults (the study's best values) in one place.

``TrainConfig`` is a plain dataclass: build it from keyword arguments, leave a field ``None`` to take
its default, and ``resolve`` fills the defaults in, most specific first:
explicit value > (model, data set) > data set > model > ``BASE``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from pathlib import Path

from fractaldream.errors import UsageError

MODELS = ("gan", "dcgan", "aae", "wgan-gp", "infogan", "cdcgan", "lsd")
DATASETS = ("fractal", "simpsons", "celeba", "mnist", "fashion-mnist", "folder")
COLOR_SPACES = ("rgb", "hsv")

BASE = dict(
    batch_size=128, lr_g=2e-4, lr_d=2e-4, lr_e=2e-4, betas=(0.5, 0.999),
    leaky_slope=0.2, bn_eps=1e-5, latent_dim=100, image_size=64, epochs=25,
    d_dropout=0.0, codes=2, categorical=0,
)
BY_MODEL = {
    "gan": dict(d_dropout=0.3),
    "wgan-gp": dict(lr_g=1e-4, lr_d=1e-4, betas=(0.0, 0.9)),
    "infogan": dict(latent_dim=62),
    "lsd": dict(latent_dim=6),
}
BY_DATASET = {
    # The correspondence experiment: a latent of the size of the parameter vector v.
    "fractal": dict(latent_dim=6, codes=6),
    "mnist": dict(image_size=32, categorical=10),
    "fashion-mnist": dict(image_size=32, categorical=10),
}
BY_PAIR = {
    ("dcgan", "fractal"): dict(lr_g=1e-3, lr_d=1e-4, bn_eps=0.5),
    ("dcgan", "simpsons"): dict(leaky_slope=1e-6, bn_eps=0.5, batch_size=16, lr_d=5e-5, lr_g=2.5e-4),
    ("aae", "simpsons"): dict(leaky_slope=0.1, bn_eps=0.01, batch_size=16, lr_d=4e-5, lr_g=4e-4, lr_e=4e-4),
    ("infogan", "fractal"): dict(latent_dim=10),
}

# Settings that change neither the numbers a run computes nor where it stops.
OPERATIONAL = ("out", "device", "resume", "tensorboard", "progress", "workers", "log_every")
# Settings that only say when a run stops: a resumed run may change them.
STOPPING = ("epochs", "max_steps")


@dataclass
class TrainConfig:
    """Everything a training run depends on. ``None`` means "the default for this model and data set"."""

    model: str = "dcgan"
    dataset: str = "fractal"
    data: str | None = None  # local copy; default: the cache folder of the data set
    palette: str | None = None  # fractal: one palette of a multi-palette build (default: all)
    image_size: int | None = None
    latent_dim: int | None = None  # infogan: the noise part only (codes come on top)
    epochs: int | None = None
    max_steps: int | None = None
    batch_size: int | None = None
    lr_g: float | None = None
    lr_d: float | None = None
    lr_e: float | None = None
    betas: tuple[float, float] | None = None
    leaky_slope: float | None = None
    bn_eps: float | None = None
    upsample: bool = False
    width: int = 64
    # model-specific
    aae_variant: str = "makhzani"  # or "study"
    codes: int | None = None  # infogan continuous codes (default: the data set's known factors, else 2)
    categorical: int | None = None  # infogan categorical code size (0: none)
    info_weight: float = 1.0
    gp_weight: float = 10.0
    n_critic: int = 5
    lsd_weight: float = 1.0
    # tricks
    label_smoothing: tuple[float, float] | None = None  # real targets ~ U(lo, hi)
    instance_noise: float = 0.0  # std of Gaussian noise on D's inputs
    instance_noise_decay: float = 1.0  # std multiplied by this every epoch
    instance_noise_on: str = "real"  # or "both"
    unequal_band: tuple[float, float] | None = None
    d_reset_every: int = 0  # epochs; 0: never
    d_dropout: float | None = None
    color_space: str = "rgb"  # the nets' colour space (see gans.color)
    affine_degrees: float = 0.0  # random affine augmentation of real batches: rotation up to +-DEG,
    affine_translate: float = 0.0  # shift up to +-FRACTION of the image size,
    affine_scale: tuple[float, float] | None = None  # zoom by a factor in [LO, HI]
    # running
    seed: int = 0
    device: str = "auto"
    amp: bool = False
    channels_last: bool = False
    strict: bool = False
    out: str | None = None
    log_every: int = 50
    grid_size: int = 64
    workers: int | None = None
    resume: bool = False
    tensorboard: bool = False
    progress: bool = True

    def to_dict(self) -> dict:
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v for f in fields(self)}

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise UsageError(f"unknown setting(s): {', '.join(unknown)}")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        return cls(**values)


def resolve(config: TrainConfig) -> TrainConfig:
    """A copy of ``config`` with every default filled in and every value checked."""
    if config.model not in MODELS:
        raise UsageError(f"unknown model {config.model!r} (choose from {', '.join(MODELS)})")
    if config.dataset not in DATASETS:
        raise UsageError(f"unknown data set {config.dataset!r} (choose from {', '.join(DATASETS)})")
    defaults = {**BASE, **BY_MODEL.get(config.model, {}), **BY_DATASET.get(config.dataset, {}),
                **BY_PAIR.get((config.model, config.dataset), {})}
    values = config.to_dict()
    for name, value in defaults.items():
        if values.get(name) is None:
            values[name] = value
    if config.max_steps is not None and config.epochs is None:
        values["epochs"] = None  # run until max_steps
    if values["out"] is None:
        values["out"] = str(Path("runs") / f"{config.model}-{config.dataset}-{values['image_size']}")
    resolved = TrainConfig.from_dict(values)
    _check(resolved)
    return resolved


def _check(c: TrainConfig) -> None:
    if c.image_size not in (32, 64, 128):
        raise UsageError(f"model {c.model}: image size {c.image_size} not supported (choose 32, 64 or 128)")
    if c.model == "lsd" and (c.dataset != "fractal" or c.latent_dim != 6):
        raise UsageError("model lsd needs --dataset fractal and a latent of 6 (its latent is v itself)")
    if c.model == "cdcgan" and c.dataset not in ("fractal", "mnist", "fashion-mnist"):
        raise UsageError("model cdcgan needs a conditioned data set: fractal, mnist or fashion-mnist")
    if c.aae_variant not in ("makhzani", "study"):
        raise UsageError(f"unknown AAE variant {c.aae_variant!r} (choose makhzani or study)")
    if c.color_space not in COLOR_SPACES:
        raise UsageError(f"unknown colour space {c.color_space!r} (choose from {', '.join(COLOR_SPACES)})")
    if c.instance_noise_on not in ("real", "both"):
        raise UsageError(f"--instance-noise-on must be real or both, not {c.instance_noise_on!r}")
    for name in ("label_smoothing", "unequal_band"):
        pair = getattr(c, name)
        if pair is not None and not (len(pair) == 2 and 0 <= pair[0] <= pair[1] <= 1):
            raise UsageError(f"--{name.replace('_', '-')} needs LO HI with 0 <= LO <= HI <= 1, not {pair}")
    positive = dict(batch_size=c.batch_size, latent_dim=c.latent_dim, log_every=c.log_every,
                    n_critic=c.n_critic, grid_size=c.grid_size, width=c.width)
    for name, value in positive.items():
        if value is None or value < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1, not {value}")
    for name in ("epochs", "max_steps"):
        value = getattr(c, name)
        if value is not None and value < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1, not {value}")
    if not 0 <= c.d_dropout < 1:
        raise UsageError(f"--d-dropout must lie in [0, 1), not {c.d_dropout}")
    if not 0 <= c.affine_degrees <= 180:
        raise UsageError(f"--affine-degrees must lie in [0, 180], not {c.affine_degrees}")
    if not 0 <= c.affine_translate < 1:
        raise UsageError(f"--affine-translate must lie in [0, 1), not {c.affine_translate}")
    if c.affine_scale is not None and not (len(c.affine_scale) == 2 and 0 < c.affine_scale[0] <= c.affine_scale[1]):
        raise UsageError(f"--affine-scale needs LO HI with 0 < LO <= HI, not {c.affine_scale}")


def differences(a: TrainConfig, b: TrainConfig, ignore=()) -> list[str]:
    """The settings (other than ``ignore``) in which two configs differ, as ``name: a -> b``."""
    da, db = a.to_dict(), b.to_dict()
    return [f"{k}: {da[k]!r} -> {db[k]!r}" for k in da if k not in ignore and da[k] != db[k]]


def replace(config: TrainConfig, **changes) -> TrainConfig:
    return dataclasses.replace(config, **changes)


def parse_setting(name: str, text: str):
    """The value of setting ``name`` written as text (pairs as ``LO:HI``), checked against its type."""
    field = {f.name: f for f in fields(TrainConfig)}.get(name)
    if field is None:
        raise UsageError(f"unknown setting {name.replace('_', '-')!r}")
    kind = str(field.type)
    try:
        if text.lower() in ("none", "default") and "None" in kind:
            return None
        if kind == "bool":
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(text)
            return text.lower() in ("true", "1", "yes")
        if kind.startswith("tuple"):
            low, high = text.split(":")
            return float(low), float(high)
        if kind.startswith("int"):
            return int(text)
        if kind.startswith("float"):
            return float(text)
    except ValueError:
        raise UsageError(f"bad value {text!r} for {name.replace('_', '-')} ({kind})") from None
    return text
