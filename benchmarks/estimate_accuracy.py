"""How well ``fractaldream estimate`` recovers held-out stream attractors, with and without refinement.

    OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 .venv/bin/python benchmarks/estimate_accuracy.py --n 60

N attractors of the stream with ``--stream-seed`` (never the ceiling's training seed), rendered as the bench's
data (32x32, 1,000,000 points, blue), are estimated four ways: the ceiling's reading alone (``--no-refine``),
the search from random candidates only, the search seeded by the reading (the command's default), and, as a
reference, the truth's own representative (a >= 0, the fixed start) re-rendered. Per way: the median re-render
coverage-matched IoU with a 95% bootstrap interval, the share of images at or above the goal (0.85), the mean
absolute error of each continuous identifiable target, the accuracy of sign(a b), and the time per image. The
ceiling is the command's own (trained into the gans cache on first use). Prints the machine and a markdown table.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time

import numpy as np
import torch

from fractaldream.cli.estimate import ceiling_reader
from fractaldream.estimate import START, estimate, image_similarity, occupancy
from fractaldream.estimate_settings import SearchSettings
from fractaldream.identifiable import TARGETS, identifiable_targets
from fractaldream.render import iterate_batch
from fractaldream.settings import BuildSettings
from fractaldream.stream import FractalDreamStream
from gans.metrics.defaults import OCCUPANCY_THRESHOLD
from gans.metrics.regressor import TRAIN_SEED
from gans.metrics.uncertainty import bootstrap_interval
from build_speed import isa, machine  # the benchmarks folder is the script's own: the builder's machine report

GOAL = 0.85
CONTINUOUS = [t for t in TARGETS if t != "sign_ab"]


def representatives(v: np.ndarray) -> np.ndarray:
    """The answer a perfect estimate gives for raw v: a >= 0, b carrying sign(a b), the fixed start."""
    targets = identifiable_targets(v)
    column = {t: targets[:, k] for k, t in enumerate(TARGETS)}
    return np.column_stack([np.full(len(v), START[0]), np.full(len(v), START[1]), column["abs_a"],
                            column["sign_ab"] * column["abs_b"], column["c"], column["d"]])


def row(name: str, similarities, answers, truth_v, seconds) -> str:
    similarities = np.asarray(similarities)
    median = bootstrap_interval(np.median, similarities)
    errors = np.abs(identifiable_targets(answers) - identifiable_targets(truth_v))
    mae = " | ".join(f"{errors[:, TARGETS.index(t)].mean():.2f}" for t in CONTINUOUS)
    sign = np.mean(errors[:, TARGETS.index("sign_ab")] == 0)
    return (f"| {name} | {median.estimate:.3f} [{median.low:.3f}, {median.high:.3f}] | {similarities.mean():.3f} | "
            f"{np.mean(similarities >= GOAL):.2f} | {mae} | {sign:.2f} | {np.mean(seconds):.2f} |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60, help="held-out attractors estimated")
    parser.add_argument("--stream-seed", type=int, default=2026, help="the held-out stream (not the ceiling's seed)")
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--palette", default="blue")
    parser.add_argument("--explore", type=int, default=SearchSettings().explore)
    parser.add_argument("--generations", type=int, default=SearchSettings().generations)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.stream_seed == TRAIN_SEED:
        parser.error(f"--stream-seed {TRAIN_SEED} is the ceiling's training stream")
    command = "python " + shlex.join([sys.argv[0], *(argv if argv is not None else sys.argv[1:])])
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    print(f"ISA: {isa()}")
    print(f"command: {command}")

    build = BuildSettings(size=args.size, points=args.points, palettes=(args.palette,))
    render, search = build.render, SearchSettings(explore=args.explore, generations=args.generations)
    images, truth = FractalDreamStream(build, seed=args.stream_seed).take(args.n)
    images = list(images.permute(0, 2, 3, 1).numpy())
    started = time.perf_counter()
    read = ceiling_reader([args.size], render, search, progress=True)
    print(f"ceiling ready in {time.perf_counter() - started:.1f} s (0 if it was cached)")

    on = [occupancy(image, OCCUPANCY_THRESHOLD).ravel() for image in images]
    perfect = representatives(truth)
    truth_similarity = [image_similarity(iterate_batch(v[None], render), mask)[0] for v, mask in zip(perfect, on)]
    print(f"{args.n} attractors of stream seed {args.stream_seed}, {args.size}x{args.size}, {args.points:,} points, "
          f"{args.palette}; search {search}")
    ways = (("ceiling's reading alone (`--no-refine`)", dict(read=read, refine=False)),
            ("search from random candidates only", dict(read=None)),
            ("**search seeded by the reading (default)**", dict(read=read)))
    rows = []
    for name, how in ways:
        results = estimate(images, render, threshold=OCCUPANCY_THRESHOLD, search=search, progress=True, **how)
        rows.append(row(name, [r.similarity for r in results], np.stack([r.v for r in results]), truth,
                        [r.seconds for r in results]))
    rows.append(row("the truth's representative, re-rendered (reference)", truth_similarity, perfect, truth,
                    np.zeros(args.n)))
    print()
    print("| estimate | median re-render IoU [95% CI] | mean IoU | share >= 0.85 | "
          + " | ".join(f"MAE {t}" for t in CONTINUOUS) + " | sign(ab) accuracy | s / image |")
    print("| --- " * (6 + len(CONTINUOUS)) + "|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
