"""The live render: sliders (with number boxes) for v, size, points and palette; FD(v) re-rendered as they move."""

import dataclasses
import shlex
import time
from typing import Callable

import numpy as np
import panel as pn

from fractaldream.explore.data import Start
from fractaldream.explore.images import image_pane, png_bytes
from fractaldream.render import Attractor, RenderSettings, iterate
from fractaldream.settings import FACTORS
from fractaldream.shade import PALETTES

WHY_REJECTED = {
    "nonfinite": "the orbit diverges",
    "fixed_point": "the orbit settles on a point",
    "short_cycle": "the orbit repeats with a short period",
    "low_coverage": "it fills too few pixels",
}


def render_command(v, settings: RenderSettings, palette: str) -> str:
    """The ``fractaldream render`` command that writes the same image (floats as repr: exact)."""
    return (f"fractaldream render --params {shlex.quote(' '.join(repr(float(x)) for x in v))} "
            f"--size {settings.size} --points {settings.points} --burn-in {settings.burn_in} "
            f"--palette {palette} --precision {settings.precision} --out fd.png")


def describe(attractor: Attractor, milliseconds: float) -> str:
    timing = f"rendered in {milliseconds:.0f} ms"
    if attractor.counts is None:
        return f"**rejected: {attractor.status}** ({WHY_REJECTED[attractor.status]}; nothing to draw) · {timing}"
    verdict = "**ok**" if attractor.ok else f"**rejected: {attractor.status}** ({WHY_REJECTED[attractor.status]})"
    return (f"{verdict} · coverage {attractor.coverage:.3f} · Lyapunov exponent {attractor.lyapunov:.4f} · "
            f"{timing}")


class LiveRender:
    """FD(v) for the sliders' v; ``listeners`` are called with v after each render."""

    def __init__(self, start: Start):
        self._settings = start.settings
        self.factors = {f: pn.widgets.EditableFloatSlider(label=f, start=lo, end=hi, step=0.001, value=value,
                                                          format="0.000", width=260, css_classes=[f"factor-{f}"])
                        for (f, (lo, hi)), value in zip(start.ranges.items(), start.v)}
        self.size = pn.widgets.EditableIntSlider(label="size", start=8, end=512, fixed_start=8, fixed_end=2048,
                                                 value=start.settings.size, width=260)
        self.points = pn.widgets.EditableIntSlider(label="points", start=1_000, end=4_000_000, step=1_000,
                                                   fixed_start=1, fixed_end=100_000_000, value=start.settings.points,
                                                   width=260)
        self.palette = pn.widgets.Select(label="palette", options=list(PALETTES), value=start.palette, width=260)
        self.image = image_pane("FD(v)")
        self.status = pn.pane.Markdown(width=2 * 320)
        self.command = pn.pane.Markdown(width=2 * 320, css_classes=["render-command"])
        self.listeners: list[Callable[[np.ndarray], None]] = []
        self._moving = False
        for widget in (*self.factors.values(), self.size, self.points, self.palette):
            widget.param.watch(self.render, "value")
        self.render()

    @property
    def v(self) -> np.ndarray:
        return np.array([self.factors[f].value for f in FACTORS], np.float64)

    @property
    def settings(self) -> RenderSettings:
        return dataclasses.replace(self._settings, size=self.size.value, points=self.points.value)

    def move_to(self, v) -> None:
        """Set all six sliders, then render once."""
        self._moving = True
        try:
            for f, value in zip(FACTORS, v):
                self.factors[f].value = float(value)
        finally:
            self._moving = False
        self.render()

    def render(self, *_) -> None:
        if self._moving:
            return
        v, settings, palette = self.v, self.settings, self.palette.value
        started = time.perf_counter()
        attractor = iterate(v, settings)
        png = png_bytes(attractor.image(palette))
        with pn.io.hold():  # one message to the browser for the image and its text
            self.image.object = png
            self.status.object = describe(attractor, 1000 * (time.perf_counter() - started))
            self.command.object = f"`{render_command(v, settings, palette)}`"
        for listener in self.listeners:
            listener(v)

    def controls(self) -> pn.Column:
        return pn.Column("### v = (x0, y0, a, b, c, d)", *self.factors.values(), "### Rendering",
                         self.size, self.points, self.palette, width=290)
