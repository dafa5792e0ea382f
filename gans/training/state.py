"""Where a run stands: nothing yet, part done, finished, and with which settings.

One answer for ``gans train`` (finish, resume or refuse) and for ``gans bench`` (reuse a finished
run, or extend it to a longer budget).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gans.training.checkpoint import CHECKPOINT, load_checkpoint
from gans.training.config import OPERATIONAL, STOPPING, TrainConfig, differences


@dataclass
class RunState:
    saved: dict | None  # the checkpoint, or None for a run not started
    #: Settings in which the saved run differs from the asked one, besides where it stops.
    changed: list[str] = field(default_factory=list)
    #: The saved run also stops where the asked one would.
    same_stop: bool = False

    @property
    def step(self) -> int:
        return self.saved["step"] if self.saved is not None else 0

    @property
    def finished(self) -> bool:
        """The asked run exists and is done: nothing to train."""
        return self.completed and self.same_stop

    @property
    def completed(self) -> bool:
        """A run with these settings ran to its end (maybe a shorter one): it can be reused or extended."""
        return self.saved is not None and self.saved["finished"] and not self.changed


def run_state(config: TrainConfig) -> RunState:
    """The state of the run in ``config.out`` measured against the resolved ``config``."""
    path = Path(config.out) / CHECKPOINT
    if not path.exists():
        return RunState(None)
    saved = load_checkpoint(path)
    previous = TrainConfig.from_dict(saved["config"])
    changed = differences(previous, config, ignore=OPERATIONAL + STOPPING)
    same_stop = not differences(previous, config, ignore=OPERATIONAL)
    return RunState(saved, changed, same_stop)
