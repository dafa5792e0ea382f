"""Trained runs whose generator is fed the parameter vector: G(v) beside FD(v).

This is the only module of the explorer that imports ``gans`` (lazily, inside the functions), through
``gans.training.runs.load_run`` and a loaded run's ``takes_v``, ``generate_for_v`` and ``config``.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fractaldream.errors import UsageError


@dataclass
class ModelRun:
    path: Path
    run: object

    @property
    def title(self) -> str:
        config = self.run.config
        return f"G(v): {self.path.name} ({config.model}, {config.image_size}x{config.image_size})"

    def image(self, v) -> np.ndarray:
        """G(v) for one raw vector, as an H x W x 3 uint8 image."""
        images = self.run.generate_for_v(np.asarray(v, np.float64).reshape(1, 6))
        return images[0].clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).cpu().numpy()


def load_runs(paths) -> list[ModelRun]:
    """Load each run on the CPU; a run that cannot load, or whose model does not take v, is a one-line error."""
    if not paths:
        return []
    from gans.training.runs import load_run

    runs = []
    for path in map(Path, paths):
        run = load_run(path, device="cpu")
        if not run.takes_v:
            raise UsageError(f"run {path}: its model ({run.config.model}) is not fed the parameter vector v, so it "
                             f"has no G(v) to show; use a run of a model that takes v (cdcgan, lsd)")
        runs.append(ModelRun(path, run))
    return runs
