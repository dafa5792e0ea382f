"""What a run leaves to look at: the loss log (CSV), its curves (PNG), sample grids (PNG), TensorBoard."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import torch
from torchvision.utils import make_grid

from fractaldream.errors import UsageError
from fractaldream.store import write_atomic

LOG = "log.csv"
CURVES = "curves.png"
GRID = "grid.png"
#: A run's scores as ``gans bench`` measured them (a flat JSON object), for ``gans scan``'s summary.
METRICS = "metrics.json"


def to_pil(images: torch.Tensor, nrow: int | None = None):
    """A batch in [-1, 1] (B, C, H, W) as one PIL image grid."""
    from PIL import Image

    nrow = nrow or max(1, int(len(images) ** 0.5))
    grid = make_grid(images.detach().float().cpu().clamp(-1, 1), nrow=nrow, padding=2, normalize=True,
                     value_range=(-1, 1))
    array = grid.mul(255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    return Image.fromarray(array.squeeze(2) if array.shape[2] == 1 else array)


def save_grid(images: torch.Tensor, path: Path, nrow: int | None = None) -> None:
    buffer = io.BytesIO()
    to_pil(images, nrow).save(buffer, format="PNG")
    write_atomic(Path(path), buffer.getvalue())


class LossLog:
    """``log.csv``: one row per logging interval (step, epoch, images_per_s, then the model's losses and D scores)."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def rows(self) -> list[dict]:
        if not self.path.exists():
            return []
        with open(self.path, newline="") as handle:
            return list(csv.DictReader(handle))

    def truncate(self, step: int) -> None:
        """Forget rows after ``step`` (a resumed run repeats them)."""
        rows = [row for row in self.rows() if int(row["step"]) <= step]
        if not rows:
            self.path.unlink(missing_ok=True)
            return
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        write_atomic(self.path, buffer.getvalue().encode())

    def append(self, row: dict) -> None:
        """Append a row; the first row fixes the columns (a loss missing later is left empty)."""
        new = not self.path.exists()
        if new:
            fieldnames = list(row)
        else:
            with open(self.path, newline="") as handle:
                fieldnames = next(csv.reader(handle))
        with open(self.path, "a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fieldnames, restval="", extrasaction="ignore")
            if new:
                writer.writeheader()
            writer.writerow(row)


def draw_curves(log: LossLog, path: Path) -> None:
    """Losses (left) and D's mean scores on real and fake (right) against the step."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    rows = log.rows()
    if not rows:
        return
    steps = [int(row["step"]) for row in rows]
    columns = [c for c in rows[0] if c not in ("step", "epoch", "images_per_s")]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for column in columns:
        axis = right if column in ("d_real", "d_fake") else left
        values = [float(row[column]) if row[column] not in ("", None) else float("nan") for row in rows]
        axis.plot(steps, values, label=column, marker="." if len(steps) < 30 else None)
    left.set_title("losses")
    right.set_title("D's mean score")
    for axis in (left, right):
        axis.set_xlabel("step")
        axis.legend(loc="best")
        axis.grid(alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    plt.close(figure)
    write_atomic(Path(path), buffer.getvalue())


def tensorboard_writer(run_dir: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise UsageError("--tensorboard needs the tensorboard package (pip install tensorboard)") from None
    return SummaryWriter(log_dir=str(Path(run_dir) / "tensorboard"))
