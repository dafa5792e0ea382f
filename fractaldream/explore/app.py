"""One browser session's app: the live render's controls beside tabs for the render, the map and paths."""

from dataclasses import dataclass

import holoviews as hv
import numpy as np
import panel as pn

from fractaldream.explore.data import MapData, Start
from fractaldream.explore.datamap import DataMap
from fractaldream.explore.images import image_pane, png_bytes, titled
from fractaldream.explore.live import LiveRender
from fractaldream.explore.models import ModelRun
from fractaldream.explore.paths import PathView
from fractaldream.settings import FACTORS

TITLE = "fractaldream explore"


@dataclass
class Exploration:
    """What every session shares, loaded once before the server starts."""

    start: Start
    data: MapData | None
    runs: list[ModelRun]


class Explorer:
    """The views of one session, wired together: a map pick or a path frame moves the live sliders."""

    def __init__(self, exploration: Exploration):
        hv.extension("bokeh", logo=False)
        self.live = LiveRender(exploration.start)
        self.models = [(run, image_pane(f"G(v) {run.path.name}")) for run in exploration.runs]
        self.live.listeners.append(self._generate)
        self._generate(self.live.v)
        self.map = None
        if exploration.data is not None:
            self.map = DataMap(exploration.data, lambda: self.live.palette.value,
                               lambda row: self.live.move_to(row[list(FACTORS)].to_numpy(np.float64)))
        self.paths = PathView(self.live)

    def _generate(self, v) -> None:
        for run, pane in self.models:
            pane.object = png_bytes(run.image(v))

    def layout(self) -> pn.Row:
        render = pn.Column(pn.Row(titled("FD(v): the attractor rendered from v", self.live.image),
                                  *(titled(run.title, pane) for run, pane in self.models)),
                           self.live.status, self.live.command)
        tabs = [("Render", render)]
        if self.map is not None:
            tabs.append(("Data-set map", self.map.layout()))
        tabs.append(("Path", self.paths.layout()))
        return pn.Row(self.live.controls(), pn.Tabs(*tabs, dynamic=False))


def session(exploration: Exploration) -> pn.viewable.Viewable:
    return Explorer(exploration).layout()
