"""The data-set map: every attractor of a build as a point of two chosen columns, coloured by a third.

The points are aggregated by datashader (HoloViews' ``rasterize``: the mean of the colour column per screen
pixel, re-aggregated on every zoom), so the browser receives one image whatever the number of attractors.
A click picks the attractor nearest to it on screen.
"""

from typing import Callable

import datashader as ds
import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
from holoviews.operation.datashader import dynspread, rasterize

from fractaldream.explore.data import AXES, MapData
from fractaldream.explore.images import image_pane, titled

PLOT_WIDTH, PLOT_HEIGHT = 620, 560
#: The chosen columns are renamed x, y and this inside the plot, so one aggregator serves every choice.
COLOUR = "colour"
#: Isolated points grow up to 3 pixels until 60% of them touch a neighbour: a small build stays visible.
SPREAD = dict(threshold=0.6, max_px=3)
#: Bokeh tells the server about a wheel zoom only once the wheel has been still this long (its default: 500 ms).
WHEEL_SETTLED_MS = 100


class DataMap:
    """Pick an attractor by clicking: ``on_pick(row)`` gets its row of ``data.points``."""

    def __init__(self, data: MapData, palette: Callable[[], str], on_pick: Callable):
        self.data = data
        self._palette = palette
        self._on_pick = on_pick
        self.x = pn.widgets.Select(label="x", options=_choices(), value="a", width=120)
        self.y = pn.widgets.Select(label="y", options=_choices(), value="b", width=120)
        self.colour = pn.widgets.Select(label="colour", options=_choices(), value="lyapunov", width=160,
                                        css_classes=["map-colour"])
        self.plot = pn.pane.HoloViews(sizing_mode="fixed", width=PLOT_WIDTH, height=PLOT_HEIGHT)
        self.image = image_pane("stored image")
        self.row = pn.pane.Markdown("Click the map to pick an attractor.", width=360)
        self.picked: int | None = None
        self.tap: hv.streams.Tap | None = None
        for widget in (self.x, self.y, self.colour):
            widget.param.watch(self._draw, "value")
        self._draw()

    def _draw(self, *_) -> None:
        """A new plot for the chosen columns (a new Tap stream with it)."""
        x, y, colour = self.x.value, self.y.value, self.colour.value
        columns = self.data.points
        frame = pd.DataFrame({"x": columns[x], "y": columns[y], COLOUR: columns[colour]})
        points = hv.Points(frame, kdims=[hv.Dimension("x", label=AXES[x]), hv.Dimension("y", label=AXES[y])],
                           vdims=[hv.Dimension(COLOUR, label=AXES[colour])])
        shaded = dynspread(rasterize(points, aggregator=ds.mean(COLOUR)), **SPREAD).opts(
            cmap="viridis", colorbar=True, clabel=AXES[colour], tools=["tap"], active_tools=["wheel_zoom"],
            width=PLOT_WIDTH, height=PLOT_HEIGHT, title=f"{len(frame):,} attractors, coloured by {AXES[colour]}")
        self.tap = hv.streams.Tap(source=shaded, x=None, y=None)
        self.tap.add_subscriber(self._on_tap)
        self.view = hv.streams.RangeXY(source=shaded)
        self.marker = hv.streams.Pipe(data=self._marker_data())
        marker = hv.DynamicMap(lambda data: hv.Points(data, kdims=["x", "y"]), streams=[self.marker]).opts(
            marker="circle", size=16, fill_alpha=0, line_color="red", line_width=2)
        self.plot.object = (shaded * marker).opts(backend_opts={"plot.lod_timeout": WHEEL_SETTLED_MS})

    def _on_tap(self, x, y) -> None:
        if x is not None and y is not None:
            self.pick(self.nearest(x, y))

    def nearest(self, x: float, y: float) -> int:
        """The row nearest to (x, y), distances measured in fractions of the visible ranges."""
        columns = self.data.points[[self.x.value, self.y.value]].to_numpy(np.float64)
        spans = [_span(visible, columns[:, k]) for k, visible in enumerate((self.view.x_range, self.view.y_range))]
        return int(np.argmin((((columns - (x, y)) / spans) ** 2).sum(axis=1)))

    def pick(self, index: int) -> None:
        self.picked = index
        row = self.data.points.loc[index]
        self.image.object = self.data.image_file(int(row["id"]), self._palette()).read_bytes()
        shown = row.drop([f"abs_{f}" for f in "abcd"])
        self.row.object = "| column | value |\n| --- | --- |\n" + "".join(
            f"| {name} | {_cell(value)} |\n" for name, value in shown.items())
        self.marker.send(self._marker_data())
        self._on_pick(row)

    def _marker_data(self) -> list:
        if self.picked is None:
            return []
        row = self.data.points.loc[self.picked]
        return [(row[self.x.value], row[self.y.value])]

    def layout(self) -> pn.Row:
        return pn.Row(pn.Column(pn.Row(self.x, self.y, self.colour), self.plot),
                      pn.Column(titled("the picked attractor's stored image", self.image), self.row))


def compile_kernels() -> None:
    """datashader compiles its kernels on first use (seconds): aggregate and spread a few points over a whole
    range and over a zoomed-in one, as the map does, before the first session needs them."""
    rng = np.random.default_rng(0)
    points = hv.Points(pd.DataFrame({"x": rng.random(64), "y": rng.random(64), COLOUR: rng.random(64)}),
                       kdims=["x", "y"], vdims=[COLOUR])
    for view in ((0.0, 1.0), (0.25, 0.5)):
        raster = rasterize(points, aggregator=ds.mean(COLOUR), x_range=view, y_range=view, width=32, height=32,
                           dynamic=False)
        dynspread(raster, dynamic=False, **SPREAD)


def _choices() -> dict[str, str]:
    return {label: name for name, label in AXES.items()}


def _span(visible, values: np.ndarray) -> float:
    low, high = visible if visible is not None and None not in visible else (values.min(), values.max())
    return float(high - low) or 1.0


def _cell(value) -> str:
    """Floats as repr (exact, as params.csv has them), numpy scalars as plain Python values."""
    value = value.item() if isinstance(value, np.generic) else value
    return repr(value) if isinstance(value, float) else str(value)
