"""How fast ``FractalDreamStream`` renders accepted attractors, against what a training step consumes.

    python benchmarks/stream_speed.py
    python benchmarks/stream_speed.py --sizes 32 --attractors 300 --repeat 2

1. Saturation: for each image size, how many points make the image settle (occupancy IoU and mean
   shaded-pixel difference against the same attractor at 1,000,000 points, over ``--attractors``
   stream vectors); the smallest tried with median IoU >= ``--saturated`` counts as saturated.
2. The stream's rate on one core (one process, no DataLoader), best of ``--repeat``, at the
   saturated points and at 1,000,000 points (the builder's default).
3. What training consumes: images/s of a DCGAN training step (the bench's batch of 64) on this
   machine's CPU threads, for the same sizes.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from build_speed import isa  # the benchmarks folder is the script's own: the same ISA report as the builder's
from fractaldream.render import iterate_batch
from fractaldream.settings import BuildSettings
from fractaldream.stream import FractalDreamStream
from gans.data.loading import DataInfo
from gans.models import build_model
from gans.training.config import TrainConfig, resolve
from gans.training.tricks import Tricks

POINTS = (10_000, 30_000, 100_000, 300_000, 1_000_000)
REFERENCE_POINTS = 1_000_000


def saturation(size: int, attractors: int) -> list[tuple[int, float, float]]:
    """(points, median occupancy IoU, mean |pixel difference| / 255) against the 1M-point images."""
    vectors = FractalDreamStream(BuildSettings(size=size, points=REFERENCE_POINTS), seed=9, normalize=False).take(attractors)[1]
    reference = iterate_batch(vectors, BuildSettings(size=size, points=REFERENCE_POINTS).render)
    rows = []
    for points in POINTS[:-1]:
        fewer = iterate_batch(vectors, BuildSettings(size=size, points=points).render)
        ious, differences = [], []
        for a, b in zip(fewer, reference):
            if a.counts is None or b.counts is None:
                continue
            on_a, on_b = a.counts > 0, b.counts > 0
            ious.append((on_a & on_b).sum() / max((on_a | on_b).sum(), 1))
            differences.append(np.abs(a.image("blue").astype(float) - b.image("blue")).mean() / 255)
        rows.append((points, float(np.median(ious)), float(np.mean(differences))))
    return rows


def stream_rate(size: int, points: int, attractors: int, repeat: int) -> float:
    """Accepted attractors per second of one process, best of ``repeat``."""
    stream = FractalDreamStream(BuildSettings(size=size, points=points, palettes=("blue",)), seed=11)
    stream.take(8)  # compile the kernels for these shapes
    best = 0.0
    for attempt in range(repeat):
        timed = FractalDreamStream(stream.settings, seed=12 + attempt)
        start = time.perf_counter()
        timed.take(attractors)
        best = max(best, attractors / (time.perf_counter() - start))
    return best


def training_rate(size: int, steps: int = 20, batch: int = 64) -> float:
    """Images/s of DCGAN training steps on random images of ``size`` (the bench's batch)."""
    config = resolve(TrainConfig(model="dcgan", dataset="fractal", image_size=size, batch_size=batch))
    model = build_model(config, DataInfo("fractal", 3, ("x0", "y0", "a", "b", "c", "d")))
    optimizers, tricks = model.make_optimizers(), Tricks(config)
    x = torch.rand(batch, 3, size, size) * 2 - 1
    for step in range(3):  # warm-up: the first steps pick and cache the convolution kernels
        model.train_step(x, None, tricks, optimizers, step)
    start = time.perf_counter()
    for step in range(steps):
        model.train_step(x, None, tricks, optimizers, step)
    return steps * batch / (time.perf_counter() - start)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--attractors", type=int, default=500, help="attractors per measurement")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--saturated", type=float, default=0.98, help="median occupancy IoU that counts as settled")
    args = parser.parse_args(argv)
    print(f"machine: {isa()}; {torch.get_num_threads()} torch threads")
    for size in args.sizes:
        print(f"\n{size}x{size}")
        print("  points    median IoU vs 1M   mean |diff| vs 1M")
        rows = saturation(size, min(args.attractors, 200))
        for points, iou, difference in rows:
            print(f"  {points:>9,}  {iou:16.3f}   {difference:17.4f}")
        settled = next((points for points, iou, _ in rows if iou >= args.saturated), REFERENCE_POINTS)
        for points in sorted({settled, REFERENCE_POINTS}):
            rate = stream_rate(size, points, args.attractors, args.repeat)
            print(f"  stream, one core, {points:,} points: {rate:,.0f} attractors/s")
        print(f"  DCGAN training step, batch 64: {training_rate(size):,.0f} images/s")


if __name__ == "__main__":
    main()
