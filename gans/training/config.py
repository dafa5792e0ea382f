"""A training run's settings, and where their defaults come from.

``TrainConfig`` is a plain dataclass whose fields carry their help (the ``gans train`` flags are
generated from it): build it from keyword arguments, leave a field ``None`` to take its default,
and ``resolve`` fills the defaults in, most specific first: explicit value > the model's values for
the data set (``GANModel.dataset_defaults``) > the data set's (``DatasetRecord.defaults``) > the
model's (``GANModel.defaults``) > ``BASE``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields
from pathlib import Path

from fractaldream.commandline import setting
from fractaldream.errors import UsageError
from gans.datasets import NAMES as DATASETS
from gans.models import MODELS

COLOR_SPACES = ("rgb", "hsv")

BASE = dict(
    batch_size=128, lr_g=2e-4, lr_d=2e-4, lr_e=2e-4, betas=(0.5, 0.999),
    leaky_slope=0.2, bn_eps=1e-5, latent_dim=100, image_size=64, epochs=25,
    d_dropout=0.0, codes=2, categorical=0,
)

# Settings that change neither the numbers a run computes nor where it stops.
OPERATIONAL = ("out", "device", "resume", "tensorboard", "progress", "workers", "log_every")
# Settings that only say when a run stops: a resumed run may change them.
STOPPING = ("epochs", "max_steps")


@dataclass
class TrainConfig:
    """Everything a training run depends on. ``None`` means "the default for this model and data set"."""

    model: str = setting("dcgan", f"one of {', '.join(MODELS)}")
    dataset: str = setting("fractal", f"one of {', '.join(DATASETS)}")
    data: str | None = setting(None, "local copy of the data set (default: its cache folder, fetched when possible)")
    palette: str | None = setting(None, "fractal: train on one palette of the build")
    image_size: int | None = setting(None, "32, 64 or 128 (default: 64; 32 for MNIST sets)")
    latent_dim: int | None = setting(None, "latent size (infogan: the noise part; codes come on top)")
    epochs: int | None = setting(None, "epochs to train (default 25, or unlimited with --max-steps)")
    max_steps: int | None = setting(None, "stop after this many steps (checkpoint included)")
    batch_size: int | None = setting(None, "default: the study's best for the model and data set")
    lr_g: float | None = setting(None)
    lr_d: float | None = setting(None)
    lr_e: float | None = setting(None)
    betas: tuple[float, float] | None = setting(None, "Adam betas B1 B2")
    leaky_slope: float | None = setting(None)
    bn_eps: float | None = setting(None)
    upsample: bool = setting(False, "nearest-upsample + conv instead of ConvTranspose in G")
    width: int = setting(64, "channels of the nets' widest-resolution layer (DCGAN: 64)")
    # model-specific
    aae_variant: str = setting("makhzani", "makhzani (latent discriminator) or study (image discriminator + moments)")
    codes: int | None = setting(None, "infogan: continuous codes (default: the data set's known factors, else 2)")
    categorical: int | None = setting(None, "infogan: size of the categorical code (0: none)")
    info_weight: float = setting(1.0)
    gp_weight: float = setting(10.0)
    n_critic: int = setting(5)
    lsd_weight: float = setting(1000.0, "lsd: weight of MSE(FD(v), G(v)) (the scan behind 1000: README)")
    renderer_adversarial_weight: float = setting(0.0, "renderer: weight of its GAN term (0: D only watches)")
    # tricks
    label_smoothing: tuple[float, float] | None = setting(None, "one-sided label smoothing: real targets ~ U(LO, HI)")
    instance_noise: float = setting(0.0, "std of Gaussian noise on D's inputs")
    instance_noise_decay: float = setting(1.0, "instance-noise std multiplied by this every epoch")
    instance_noise_on: str = setting("real", "real or both")
    unequal_band: tuple[float, float] | None = setting(
        None, "unequal training: skip D above HI, skip G below LO (D's score)")
    d_reset_every: int = setting(0, "re-initialise D every K epochs (0: never)")
    d_dropout: float | None = setting(None, "dropout in D")
    color_space: str = setting(
        "rgb", f"{' or '.join(COLOR_SPACES)}: the colour space the nets see and make images in, each channel in "
        "[-1, 1] (hsv: hue is circular, but the nets treat it as a plain channel); samples and metrics are always RGB")
    affine_degrees: float = setting(
        0.0, "augment real images: rotate by up to +-DEG degrees (all augmentation is off by default)")
    affine_translate: float = setting(0.0, "augment real images: shift by up to +-FRACTION of the image size")
    affine_scale: tuple[float, float] | None = setting(None, "augment real images: zoom by a factor drawn from [LO, HI]")
    # running
    seed: int = setting(0, "seeds weights, noise and data order")
    device: str = setting("auto", "auto, cpu, cuda")
    amp: bool | None = setting(None, "bfloat16 autocast (default: on for CPUs with AMX or AVX512-BF16, off elsewhere)")
    channels_last: bool | None = setting(None, "channels-last memory format (default: with bfloat16 autocast on the CPU)")
    strict: bool = setting(False, "fail on an unreadable image instead of skipping it")
    out: str | None = setting(None, "run folder (default runs/MODEL-DATASET-SIZE)")
    log_every: int = setting(50, "read losses back and log them every K steps")
    grid_size: int = setting(64, "number of images in the sample grid")
    workers: int | None = setting(None, "processes decoding the images")
    resume: bool = setting(False, "continue the run in --out from its checkpoint")
    tensorboard: bool = setting(False, "also log scalars and images to OUT/tensorboard")
    progress: bool = setting(True, "show progress bars")

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
    from gans.datasets import record
    from gans.models import model_class
    from gans.training.speed import speed_defaults  # torch: not for `gans --help`

    model, dataset = model_class(config.model), record(config.dataset)
    defaults = {**BASE, **model.defaults, **dataset.defaults, **model.dataset_defaults.get(config.dataset, {})}
    values = config.to_dict()
    for name, value in defaults.items():
        if values.get(name) is None:
            values[name] = value
    if config.max_steps is not None and config.epochs is None:
        values["epochs"] = None  # run until max_steps
    for name, value in speed_defaults(values["device"]).items():
        if values[name] is None:
            values[name] = value
    if values["out"] is None:
        values["out"] = str(Path("runs") / f"{config.model}-{config.dataset}-{values['image_size']}")
    resolved = TrainConfig.from_dict(values)
    _check(resolved)
    _check_numbers(resolved)
    model.check(resolved, dataset)
    return resolved


def _check(c: TrainConfig) -> None:
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


#: The largest --seed: the data order is seeded with seed * 1_000_003 + epoch, which torch needs below 2**64.
MAX_SEED = 2**32 - 1
#: The numeric settings ``_check`` leaves to ``_check_numbers``: (names, what each must be, the test).
#: NaN fails every comparison, so each test refuses it.
NUMBER_RULES = (
    (("lr_g", "lr_d", "lr_e", "bn_eps", "instance_noise_decay"), "a finite number > 0", lambda v: 0 < v < math.inf),
    (("instance_noise", "info_weight", "gp_weight", "lsd_weight", "renderer_adversarial_weight"),
     "a finite number >= 0", lambda v: 0 <= v < math.inf),
    (("leaky_slope",), "a number in [0, 1]", lambda v: 0 <= v <= 1),
    (("d_reset_every", "codes", "categorical"), "a whole number >= 0", lambda v: v >= 0),
    (("workers",), "a whole number >= 0", lambda v: v is None or v >= 0),
    (("seed",), f"a whole number in [0, {MAX_SEED}]", lambda v: 0 <= v <= MAX_SEED),
)


def _check_numbers(c: TrainConfig) -> None:
    for names, what, valid in NUMBER_RULES:
        for name in names:
            if not valid(getattr(c, name)):
                raise UsageError(f"--{name.replace('_', '-')} must be {what}, not {getattr(c, name)}")
    if not (len(c.betas) == 2 and all(0 <= beta < 1 for beta in c.betas)):
        raise UsageError(f"--betas needs B1 B2, each in [0, 1), not {' '.join(map(str, c.betas))}")


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
        if kind.startswith("bool"):
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
