"""Paths: the straight line between two vectors, its frames, and how much the image changes per step.

The line is ``fractaldream interpolate``'s, v(t) = (1 - t) * A + t * B at t = 0, 1/(steps-1), ..., 1, so a
frame is the image that command writes. The attractor jumps at bifurcations: the change per step shows them.
"""

import holoviews as hv
import numpy as np
import panel as pn

from fractaldream.errors import UsageError
from fractaldream.explore.images import image_pane, png_bytes, titled
from fractaldream.explore.live import LiveRender
from fractaldream.render import iterate_batch


def line(start, end, steps: int) -> np.ndarray:
    ts = np.linspace(0.0, 1.0, steps)
    return (1.0 - ts[:, None]) * np.asarray(start, np.float64) + ts[:, None] * np.asarray(end, np.float64)


def change_per_step(frames: np.ndarray) -> np.ndarray:
    """Mean absolute difference of consecutive frames (steps x H x W x 3 uint8), as a fraction of full scale."""
    return np.abs(np.diff(frames.astype(np.int16), axis=0)).mean(axis=(1, 2, 3)) / 255.0


def parse_vector(text: str) -> np.ndarray:
    try:
        values = np.array([float(v) for v in text.replace(",", " ").split()])
    except ValueError:
        values = np.array([])
    if len(values) != 6 or not np.all(np.isfinite(values)):
        raise UsageError(f'a vector is six finite numbers "x0 y0 a b c d", got {text!r}')
    return values


def format_vector(v) -> str:
    return " ".join(repr(float(x)) for x in v)


class PathView:
    """Two ends A and B (typed, or taken from the live view), rendered with the live view's settings."""

    def __init__(self, live: LiveRender):
        self.live = live
        self.start = pn.widgets.TextInput(label="A (x0 y0 a b c d)", value=format_vector(live.v), width=560)
        self.end = pn.widgets.TextInput(label="B (x0 y0 a b c d)", width=560)
        take_start = pn.widgets.Button(label="A = current v", width=130, align="end")
        take_end = pn.widgets.Button(label="B = current v", width=130, align="end")
        take_start.on_click(lambda _: setattr(self.start, "value", format_vector(live.v)))
        take_end.on_click(lambda _: setattr(self.end, "value", format_vector(live.v)))
        self.steps = pn.widgets.IntInput(label="steps", value=64, start=2, end=512, width=100)
        self.go = pn.widgets.Button(label="Render the path", color="primary", width=160, align="end")
        self.go.on_click(lambda _: self.render())
        self.frame = pn.widgets.IntSlider(label="frame", start=0, end=1, value=0, width=560, disabled=True)
        self.frame.param.watch(self._show, "value")
        open_frame = pn.widgets.Button(label="Move the sliders to this frame", width=240)
        open_frame.on_click(lambda _: self.vectors is not None and live.move_to(self.vectors[self.frame.value]))
        self.image = image_pane("path frame")
        self.plot = pn.pane.HoloViews(width=560, height=300)
        self.summary = pn.pane.Markdown("Pick two ends, then render the path.", width=560)
        self.frame_info = pn.pane.Markdown(width=340)
        self.vectors: np.ndarray | None = None
        self.frames: np.ndarray | None = None
        self.statuses: list[str] = []
        self.changes: np.ndarray | None = None
        self._layout = pn.Column(pn.Row(self.start, take_start), pn.Row(self.end, take_end),
                                 pn.Row(self.steps, self.go), self.summary,
                                 pn.Row(pn.Column(self.frame, self.plot, open_frame),
                                        pn.Column(titled("the frame at the scrubbed step", self.image),
                                                  self.frame_info)))

    def render(self) -> None:
        try:
            start, end = parse_vector(self.start.value), parse_vector(self.end.value)
        except UsageError as error:
            self.summary.object = f"**{error}**"
            return
        palette = self.live.palette.value
        self.vectors = line(start, end, self.steps.value)
        attractors = iterate_batch(self.vectors, self.live.settings)
        self.frames = np.stack([a.image(palette) for a in attractors])
        self.statuses = [a.status for a in attractors]
        self.changes = change_per_step(self.frames)
        rejected = sum(status != "ok" for status in self.statuses)
        jump = int(np.argmax(self.changes))
        self.summary.object = (f"{len(self.frames)} frames ({rejected} rejected); mean change per step "
                               f"{self.changes.mean():.4f}, largest {self.changes[jump]:.4f} "
                               f"({self.changes[jump] / max(self.changes.mean(), 1e-12):.1f}x the mean) "
                               f"between frames {jump} and {jump + 1}")
        self.frame.param.update(end=len(self.frames) - 1, value=0, disabled=False)
        self._show()

    def _show(self, *_) -> None:
        if self.frames is None:
            return
        k = self.frame.value
        self.image.object = png_bytes(self.frames[k])
        t = k / (len(self.frames) - 1)
        self.frame_info.object = (f"frame {k}, t = {t:.4f}: **{self.statuses[k]}**  \n"
                                  f"v = `{format_vector(self.vectors[k])}`")
        steps = np.arange(len(self.changes)) + 0.5
        curve = hv.Curve((steps, self.changes), hv.Dimension("step", label="frame"),
                         hv.Dimension("change", label="mean |change| per step"))
        self.plot.object = (curve * hv.VLine(k)).opts(
            hv.opts.Curve(width=560, height=300, tools=["hover"], line_width=2),
            hv.opts.VLine(color="red", line_dash="dashed"))

    def layout(self) -> pn.Column:
        return self._layout
