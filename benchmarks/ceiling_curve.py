"""The ceiling's learning curve: held-out score per identifiable target against distinct attractors seen.

    python benchmarks/ceiling_curve.py benchmarks/results/ceiling
    python benchmarks/ceiling_curve.py OUT --data data/fdd32            # the settings a folder was built with
    python benchmarks/ceiling_curve.py OUT --budgets 3000 10000 --held-out 2000 --points 20000

One ceiling (``gans.metrics.regressor``) per budget, trained on the stream's first attractors as
``curve_configs`` says (each attractor seen ``passes`` times, at least ``--min-images`` images in all)
and scored on the same held-out attractors of the stream, with 95% bootstrap intervals over them.
``--longer`` also trains the largest budget with that many passes: does longer training still pay?
Every ceiling lands in the gans cache, so ``gans bench`` and ``gans metrics regressor`` reuse them.
Writes ``ceiling_curve.json`` and ``ceiling_curve.png`` into OUT; prints the machine and the command.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch

from fractaldream.dataset import build_settings_of
from fractaldream.identifiable import SIGN_TARGETS, TARGETS
from fractaldream.settings import BuildSettings
from gans.metrics import defaults
from gans.metrics.regressor import HELD_OUT_FIRST_CHUNK, ceilings, curve_configs, stream_segment
from stream_speed import isa

#: Where the render rate is timed: a stream segment that neither training nor the held-out set reaches.
RATE_FIRST_CHUNK = 2 * HELD_OUT_FIRST_CHUNK


def render_rate(build: BuildSettings, image_size: int, attractors: int, workers: int) -> float:
    stream_segment(build, image_size, RATE_FIRST_CHUNK, 8, 0)  # compile the kernels first
    started = time.perf_counter()
    stream_segment(build, image_size, RATE_FIRST_CHUNK, attractors, workers)
    return attractors / (time.perf_counter() - started)


def point(ceiling, kind: str) -> dict:
    config, held_out = ceiling.config, ceiling.held_out
    images = config["passes"] * (config["attractors"] // config["batch_size"]) * config["batch_size"]
    return {"kind": kind, "attractors": config["attractors"], "passes": config["passes"], "images": images,
            "train_seconds": round(ceiling.train_seconds, 1), "held_out_n": held_out.n,
            "r2": {t: [i.estimate, i.low, i.high] for t, i in held_out.r2.items()},
            "accuracy": {t: [i.estimate, i.low, i.high] for t, i in held_out.accuracy.items()},
            "path": str(ceiling.path)}


def _errorbars(axis, x, triples, **style) -> None:
    """(estimate, low, high) triples at x, as points with their intervals."""
    estimate, low, high = (np.array([t[i] for t in triples]) for i in range(3))
    axis.errorbar(x, estimate, yerr=[estimate - low, high - estimate], capsize=3, **style)


def plot(points: list[dict], title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    curve = [p for p in points if p["kind"] == "curve"]
    longer = [p for p in points if p["kind"] == "longer"]
    x = [p["attractors"] for p in curve]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4), gridspec_kw={"width_ratios": [2, 1]})
    for k, target in enumerate(TARGETS):
        label = target + (" (+-1 target)" if target in SIGN_TARGETS else "")
        _errorbars(left, x, [p["r2"][target] for p in curve], marker="o", color=f"C{k}", label=label)
        for p in longer:
            _errorbars(left, [p["attractors"] * 1.12], [p["r2"][target]], marker="s", mfc="white", color=f"C{k}",
                       label=f"hollow: {p['passes']} passes" if k == 0 else None)
    for target in SIGN_TARGETS:
        _errorbars(right, x, [p["accuracy"][target] for p in curve], marker="o", color="C2", label=f"{target} accuracy")
        for p in longer:
            _errorbars(right, [p["attractors"] * 1.12], [p["accuracy"][target]], marker="s", mfc="white", color="C2",
                       label=f"hollow: {p['passes']} passes")
    right.axhline(0.5, color="grey", ls=":", label="chance")
    left.set(title="R^2 per identifiable target", ylabel="held-out R^2")
    right.set(title="sign(a b) accuracy", ylabel="held-out accuracy")
    for axis in (left, right):
        axis.set(xscale="log", xlabel="distinct attractors seen in training")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for ceiling_curve.json and ceiling_curve.png")
    parser.add_argument("--data", type=Path, help="a built FDD folder: use its build settings (else the flags below)")
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--palettes", nargs="+", default=["blue"])
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--budgets", type=int, nargs="+", default=list(defaults.CEILING_CURVE))
    parser.add_argument("--held-out", type=int, default=defaults.CEILING_HELD_OUT)
    parser.add_argument("--min-images", type=int, default=defaults.CEILING_CURVE_MIN_IMAGES)
    parser.add_argument("--passes", type=int, default=defaults.REGRESSOR["passes"])
    parser.add_argument("--longer", type=int, default=None, help="also train the largest budget with this many passes")
    parser.add_argument("--render-workers", type=int, default=defaults.REGRESSOR["render_workers"])
    parser.add_argument("--threads", type=int, default=1, help="torch threads for training")
    parser.add_argument("--rate-attractors", type=int, default=2000, help="attractors the render rate is timed on")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    build = build_settings_of(args.data) if args.data else BuildSettings(size=args.size, points=args.points,
                                                                         palettes=tuple(args.palettes))
    command = "python " + shlex.join([sys.argv[0], *(argv if argv is not None else sys.argv[1:])])
    print(f"machine: {isa()}; load average {os.getloadavg()[0]:.1f}")
    print(f"command: {command}")
    print(f"render settings: {build}; image size {args.image_size}")

    config = {"passes": args.passes, "render_workers": args.render_workers}
    rate = render_rate(build, args.image_size, args.rate_attractors, args.render_workers)
    print(f"render rate: {rate:,.0f} accepted attractors/s with {args.render_workers} rendering processes "
          f"({args.rate_attractors:,} attractors)")
    budgets = sorted(args.budgets)
    configs = curve_configs(budgets, config, args.min_images)
    kinds = ["curve"] * len(budgets)
    if args.longer:
        budgets, kinds = budgets + [budgets[-1]], kinds + ["longer"]
        configs.append({**config, "passes": args.longer})
    started = time.perf_counter()
    trained = ceilings(build, args.image_size, budgets, args.held_out, configs, progress=True)
    points = [point(ceiling, kind) for ceiling, kind in zip(trained, kinds)]

    print(f"\nheld-out R^2 per target (95% bootstrap interval over {args.held_out:,} held-out attractors); "
          f"sign(a b) also as accuracy")
    print(f"{'attractors':>10s} {'passes':>6s} {'train s':>8s}  "
          + "  ".join(f"{t:>19s}" for t in TARGETS) + "  " + "  ".join(f"{t + ' acc':>19s}" for t in SIGN_TARGETS))
    for p in points:
        cells = [f"{e:6.3f} [{lo:5.3f},{hi:5.3f}]" for e, lo, hi in (*p["r2"].values(), *p["accuracy"].values())]
        print(f"{p['attractors']:>10,} {p['passes']:>6d} {p['train_seconds']:>8.0f}  " + "  ".join(cells))
    args.out.mkdir(parents=True, exist_ok=True)
    result = {"machine": isa(), "command": command, "build": build.describe(0), "image_size": args.image_size,
              "render_rate_attractors_per_s": rate, "render_workers": args.render_workers,
              "torch_threads": args.threads, "min_images": args.min_images, "held_out_n": args.held_out,
              "wall_seconds": round(time.perf_counter() - started, 1), "points": points,
              "sign_targets_scored_as": "R^2 of the +-1 target, and accuracy of its estimate's sign"}
    (args.out / "ceiling_curve.json").write_text(json.dumps(result, indent=1))
    title = (f"FDD ceiling at {args.image_size}x{args.image_size}: {build.points:,} points, palettes "
             f"{', '.join(build.palettes)}; held out n = {args.held_out:,}, 95% bootstrap intervals")
    plot(points, title, args.out / "ceiling_curve.png")
    print(f"wrote {args.out / 'ceiling_curve.json'} and {args.out / 'ceiling_curve.png'}")


if __name__ == "__main__":
    main()
