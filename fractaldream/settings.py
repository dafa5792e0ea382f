"""What determines an image and a data set: every default, its help and its check, declared once.

:class:`RenderSettings` say how one attractor is iterated, framed and judged; :class:`BuildSettings` add
how a data set draws its vectors. The command line's flags are generated from these fields (see
:func:`fractaldream.commandline.settings_options`), and :meth:`BuildSettings.command` writes the command
that reproduces a build. This module loads no numba, so that ``fractaldream --help`` stays fast.
"""

import dataclasses
from dataclasses import dataclass

from fractaldream import __version__
from fractaldream.commandline import command_line, setting
from fractaldream.errors import UsageError
from fractaldream.palettes import PALETTES

#: The parameter vector v, in this order.
FACTORS = ("x0", "y0", "a", "b", "c", "d")
PRECISIONS = ("float32", "float64")
#: Bounds that keep one attractor within a machine's memory and time: 4096 pixels a side take 64 MiB of visit
#: counts per image; float64 keeps its whole orbit (16 bytes a point, 1.6 GB at the most points).
MAX_SIZE = 4096
MAX_POINTS = 100_000_000
COUNT_BYTES_PER_PIXEL = 4
MAX_SEED = 2**63 - 1
#: Sampling ranges stay where float32 (the fast path) still resolves a sine's argument: 1/16 at 1e6, a turn at 1e8.
MAX_RANGE = 1e6


def factor_ranges(range_xy, range_abcd) -> list[tuple[float, float]]:
    """The (low, high) of each factor, in FACTORS order: x0 and y0 in ``range_xy``, a..d in ``range_abcd``."""
    return [tuple(range_xy)] * 2 + [tuple(range_abcd)] * 4


def check_within(flag: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise UsageError(f"{flag} must lie in [{low:,}, {high:,}], got {value:,}")


def check_palette(palette: str) -> None:
    if palette not in PALETTES:
        raise UsageError(f"unknown palette {palette!r}; choose from {', '.join(PALETTES)}")


@dataclass(frozen=True)
class RenderSettings:
    """How one attractor is iterated, framed on its own bounding box and judged."""

    size: int = setting(128, "Image side in pixels (>= 8).")
    points: int = setting(1_000_000, "Iterates aggregated per attractor.")
    burn_in: int = setting(100, "Iterates discarded first.")
    min_coverage: float = setting(0.0, "Reject attractors filling less than this fraction of the pixels.")
    precision: str = setting("float32", "float32: many attractors in lockstep in SIMD lanes (fast); "
                             "float64: the exact scalar loop.", choices=PRECISIONS)

    def validate(self) -> None:
        if self.size < 8:
            raise UsageError(f"--size must be at least 8, got {self.size}")
        if self.size > MAX_SIZE:
            counts = self.size**2 * COUNT_BYTES_PER_PIXEL
            raise UsageError(f"--size must be at most {MAX_SIZE}, got {self.size}: the visit counts of one image alone "
                             f"would take {counts / 2**30:,.1f} GiB")
        check_within("--points", self.points, 1, MAX_POINTS)
        check_within("--burn-in", self.burn_in, 0, MAX_POINTS)
        if not 0.0 <= self.min_coverage < 1.0:
            raise UsageError(f"--min-coverage must lie in [0, 1), got {self.min_coverage}")
        if self.precision not in PRECISIONS:
            raise UsageError(f"--precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")


def _rendering(name: str, default=None):
    """The field ``name`` of RenderSettings again (its default unless given, its help and choices)."""
    field = next(f for f in dataclasses.fields(RenderSettings) if f.name == name)
    return setting(field.default if default is None else default, field.metadata["help"],
                   choices=field.metadata["choices"])


@dataclass(frozen=True)
class BuildSettings:
    """Everything that determines the images of a build; its ``n`` and workers only decide how many and how fast.

    The fields' order is the order of build.json.
    """

    size: int = _rendering("size")
    points: int = _rendering("points")
    burn_in: int = _rendering("burn_in")
    seed: int = setting(0, "Seed of the stream of parameter draws.")
    palettes: tuple[str, ...] = setting(tuple(PALETTES), "Each attractor is written once per palette.",
                                        choices=tuple(PALETTES))
    range_abcd: tuple[float, float] = setting((-3.0, 3.0), "Uniform range of a, b, c, d.")
    range_xy: tuple[float, float] = setting((-1.0, 1.0), "Uniform range of x0, y0.")
    min_coverage: float = _rendering("min_coverage", default=0.05)
    precision: str = _rendering("precision")

    def __post_init__(self):
        # Lists and ints (from build.json, or a caller) are kept as build.json has always recorded them.
        for name, value in (("palettes", tuple(self.palettes)), ("range_abcd", tuple(map(float, self.range_abcd))),
                            ("range_xy", tuple(map(float, self.range_xy))), ("min_coverage", float(self.min_coverage))):
            object.__setattr__(self, name, value)

    @property
    def render(self) -> RenderSettings:
        return RenderSettings(**{f.name: getattr(self, f.name) for f in dataclasses.fields(RenderSettings)})

    def validate(self) -> None:
        self.render.validate()
        check_within("--seed", self.seed, 0, MAX_SEED)
        if not self.palettes:
            raise UsageError("--palettes names no palette")
        for palette in self.palettes:
            check_palette(palette)
        if len(set(self.palettes)) != len(self.palettes):
            raise UsageError("--palettes names a palette twice")
        for name, (low, high) in (("--range-abcd", self.range_abcd), ("--range-xy", self.range_xy)):
            if not (-MAX_RANGE <= low < high <= MAX_RANGE):
                raise UsageError(f"{name} must be two numbers LOW < HIGH within ±{MAX_RANGE:,.0f}, got {low} {high}")

    def describe(self, n: int) -> dict:
        """The content of build.json: enough to re-render any row exactly."""
        # The recipe's fixed constants live with the kernels that use them: imported here, not at the top,
        # so that importing the settings does not load numba.
        from fractaldream.attractor import LYAPUNOV_STEPS, MAX_CYCLE_PERIOD
        from fractaldream.png import ZLIB_LEVEL
        from fractaldream.shade import BACKGROUND, HOW

        return {
            "attractor": "fractal_dream",
            "version": __version__,
            "n": n,
            **{k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()},
            "shading": {"how": HOW, "background": BACKGROUND, "cmaps": {p: PALETTES[p] for p in self.palettes}},
            "png": {"filter": "none", "zlib_level": ZLIB_LEVEL},
            "lyapunov_steps": LYAPUNOV_STEPS,
            "max_cycle_period": MAX_CYCLE_PERIOD,
            "sampling": "candidate k: numpy.random.default_rng([seed, k]).random(6) scaled to range_xy (x0, y0) "
            "and range_abcd (a, b, c, d); the first n accepted candidates make the data set",
        }

    @classmethod
    def from_description(cls, description: dict) -> "BuildSettings":
        """The settings a build.json records (one written before ``precision`` existed was built in float64)."""
        known = {f.name: description[f.name] for f in dataclasses.fields(cls) if f.name in description}
        return cls(**{"precision": "float64", **known})

    def command(self, n: int, out) -> str:
        """The ``fractaldream build`` command that builds this data set of ``n`` attractors into ``out``.

        Every setting is spelled out, so that the command keeps its meaning if a default changes.
        """
        every = [f.name for f in dataclasses.fields(self)]
        return command_line("fractaldream build", self, arguments=("--n", n, "--out", out), always=every)
